"""The policy knowledge base: documents, answers, parameters, gazetteer, calculators."""
