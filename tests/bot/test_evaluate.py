"""The NLU evaluation's own logic (bot/tools/evaluate.py, bot/tools/baselines/): fast, no model is trained."""

from __future__ import annotations

import pytest

from bot.tools import evaluate
from bot.tools.baselines.tfidf_knn import REFUSAL, TfidfNearestNeighbour, choose_threshold
from bot.tools.evaluate import FALLBACK, label_of, load_heldout, load_training, score

PAIRS = [
    ("老板跑了工资没发", "faq/unpaid_wages"),
    ("车票能补多少", "faq/transport_subsidy"),
    ("你好", "greet"),
    ("明天下雨不", "out_of_scope"),
    ("给我唱首歌", "out_of_scope"),
]
PREDICTED = ["faq/unpaid_wages", "faq/unpaid_wages", "greet", FALLBACK, "greet"]


def test_score_figures():
    result = score(PAIRS, PREDICTED)
    assert result["messages"] == 5
    assert result["intent_accuracy"] == pytest.approx(2 / 5)  # a refusal is not the label out_of_scope
    assert result["good_outcome_rate"] == pytest.approx(3 / 5)  # … but a good outcome
    # F1: unpaid_wages 2/3, transport_subsidy 0, greet 2/3, out_of_scope 0
    assert result["macro_f1"] == pytest.approx((2 / 3 + 2 / 3) / 4)
    assert result["faq_key_accuracy"] == pytest.approx(1 / 2)
    assert result["fallback_rate"] == pytest.approx(1 / 5)
    assert result["out_of_scope_precision"] == pytest.approx(1.0)  # the one refusal was out of scope
    assert result["out_of_scope_recall"] == pytest.approx(1 / 2)
    assert result["errors"] == 3
    assert result["errors_by_intent"] == {
        "faq/transport_subsidy": {"faq/unpaid_wages": 1},
        "out_of_scope": {FALLBACK: 1, "greet": 1},
    }
    assert result["per_label"]["greet"] == pytest.approx(
        {"support": 1, "precision": 0.5, "recall": 1.0, "f1": 2 / 3}
    )
    assert result["top_confusions"][0] == {
        "gold": "faq/transport_subsidy",
        "predicted": "faq/unpaid_wages",
        "count": 1,
    }


def test_score_counts_add_up():
    """Whatever the data: every message has one gold label, and every error is counted once everywhere."""
    pairs = PAIRS * 3 + [("谢谢", "thanks"), ("拜拜", "goodbye"), ("车费报多少", "faq/transport_subsidy")]
    predicted = PREDICTED * 3 + ["thanks", "greet", "faq/unpaid_wages"]
    result = score(pairs, predicted)
    wrong = sum(g != p for (_, g), p in zip(pairs, predicted, strict=True))
    assert sum(m["support"] for m in result["per_label"].values()) == result["messages"] == len(pairs)
    assert result["errors"] == wrong == len(result["error_examples"])
    assert sum(n for row in result["errors_by_intent"].values() for n in row.values()) == wrong
    assert sum(c["count"] for c in result["top_confusions"]) == wrong
    assert result["intent_accuracy"] == pytest.approx(1 - wrong / len(pairs))
    # the confusion made most often (4 times, the others 3 times or once) comes first, with its count
    assert result["top_confusions"][0] == {
        "gold": "faq/transport_subsidy",
        "predicted": "faq/unpaid_wages",
        "count": 4,
    }
    assert result["per_label"]["thanks"] == pytest.approx(
        {"support": 1, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    )


def test_a_perfect_prediction_scores_one_everywhere():
    result = score(PAIRS, [label for _, label in PAIRS])
    assert result["errors"] == 0 and result["top_confusions"] == [] and result["errors_by_intent"] == {}
    for figure in (
        "intent_accuracy",
        "good_outcome_rate",
        "macro_f1",
        "faq_key_accuracy",
        "out_of_scope_recall",
    ):
        assert result[figure] == 1.0, figure
    assert result["fallback_rate"] == 0.0


def test_score_without_faq_or_out_of_scope():
    result = score([("你好", "greet"), ("谢谢", "thanks")], ["greet", "greet"])
    assert result["intent_accuracy"] == 0.5
    assert result["macro_f1"] == pytest.approx((2 / 3 + 0) / 2)
    assert result["faq_key_accuracy"] is None
    assert result["out_of_scope_precision"] is None
    assert result["out_of_scope_recall"] is None


def test_score_needs_one_prediction_per_message():
    with pytest.raises(ValueError):
        score(PAIRS, PREDICTED[:-1])


@pytest.mark.parametrize(
    "parse, label",
    [
        (
            {
                "intent": {"name": "faq", "confidence": 0.9},
                "response_selector": {"faq": {"response": {"intent_response_key": "faq/job_scam"}}},
            },
            "faq/job_scam",
        ),
        (  # a ResponseSelector without `retrieval_intent` reports under "default"
            {
                "intent": {"name": "faq"},
                "response_selector": {"default": {"response": {"intent_response_key": "faq/yulu_plan"}}},
            },
            "faq/yulu_plan",
        ),
        ({"intent": {"name": "faq"}}, "faq"),
        ({"intent": {"name": "greet", "confidence": 0.99}, "response_selector": {}}, "greet"),
        ({"intent": {"name": "nlu_fallback", "confidence": 0.45}}, FALLBACK),
        ({"intent": None}, FALLBACK),
        ({}, FALLBACK),
    ],
)
def test_label_of(parse, label):
    assert label_of(parse) == label


TRAIN = [
    ("老板拖欠工资怎么办", "faq/unpaid_wages"),
    ("工资被拖欠了找哪个", "faq/unpaid_wages"),
    ("交通补助能领多少", "faq/transport_subsidy"),
    ("车票能补多少钱", "faq/transport_subsidy"),
    ("你好", "greet"),
    ("您好啊", "greet"),
    ("明天天气怎么样", "out_of_scope"),
    ("会泽哪里的羊肉好吃", "out_of_scope"),
]
TEST = ["拖欠工资咋个办", "车票补多少", "你好呀", "后天天气好不好", "zzzz"]


def _fit(**options) -> TfidfNearestNeighbour:
    return TfidfNearestNeighbour(**options).fit([t for t, _ in TRAIN], [label for _, label in TRAIN])


def test_tfidf_nearest_neighbour_predictions():
    matcher = _fit(threshold=0.0)
    predicted = matcher.predict(TEST)
    # each message shares most of its characters with one training example: that example's label
    assert predicted[:4] == ["faq/unpaid_wages", "faq/transport_subsidy", "greet", "out_of_scope"]
    assert predicted[4] in {label for _, label in TRAIN}  # threshold 0 never refuses, even "zzzz"
    label, similarity, text = matcher.nearest(["车票补多少"])[0]
    assert (label, text) == ("faq/transport_subsidy", "车票能补多少钱")
    # a training example itself is its own nearest, with cosine similarity 1; anything else less
    for (text, label), (found, similarity, nearest_text) in zip(
        TRAIN, matcher.nearest([t for t, _ in TRAIN]), strict=True
    ):
        assert (found, nearest_text, similarity) == (label, text, pytest.approx(1.0))
    sims = [s for _, s, _ in matcher.nearest(TEST)]
    assert all(0 < s < 1 for s in sims)
    assert sims[4] == min(sims)  # "zzzz" shares no character with any example: the least similar


def test_tfidf_refuses_below_threshold():
    assert _fit(threshold=0.3).predict(TEST) == [
        "faq/unpaid_wages",
        "faq/transport_subsidy",
        "greet",
        "out_of_scope",
        REFUSAL,
    ]
    # at any threshold: exactly the messages less similar than it are refused, the others keep their label
    nearest = _fit(threshold=0.0).nearest(TEST)
    for threshold in sorted({s for _, s, _ in nearest}):
        expected = [label if s >= threshold else REFUSAL for label, s, _ in nearest]
        assert _fit(threshold=threshold).predict(TEST) == expected


def test_tfidf_threshold_by_leave_one_out_on_training_data():
    matcher = _fit()
    # TRAIN is built so that every in-scope example has a twin of its own label and the out-of-scope ones
    # match nothing of theirs: left out one by one, a threshold exists that is right on all eight
    loo = matcher.leave_one_out()
    in_scope = [s for (label, s), (_, gold) in zip(loo, TRAIN, strict=True) if gold != "out_of_scope"]
    out_of_scope = [s for (_, s), (_, gold) in zip(loo, TRAIN, strict=True) if gold == "out_of_scope"]
    assert [label for label, _ in loo][:6] == [label for _, label in TRAIN][:6]
    assert matcher.leave_one_out_rate == 1.0
    # …and the lowest such threshold of the candidates (0.01 apart) is chosen
    assert max(out_of_scope) < matcher.threshold <= min(in_scope)
    assert matcher.threshold - 0.01 <= max(out_of_scope)
    assert matcher.predict(TEST)[:4] == ["faq/unpaid_wages", "faq/transport_subsidy", "greet", "out_of_scope"]


def test_choose_threshold_lowest_of_the_best():
    gold = ["a", "a", "out_of_scope", "b"]
    nearest = [("a", 0.9), ("b", 0.2), ("a", 0.15), ("b", 0.6)]
    # 0.00–0.15: 2 of 4 good; 0.16–0.60: the out-of-scope one refused, 3 of 4
    assert choose_threshold(gold, nearest) == (0.16, 0.75)


def test_confusion_rows_are_gold_labels():
    rows, columns, counts = evaluate.confusion([label for _, label in PAIRS], PREDICTED)
    assert rows == ["faq/transport_subsidy", "faq/unpaid_wages", "greet", "out_of_scope"]
    assert columns == rows + [FALLBACK]
    assert counts[rows.index("out_of_scope")] == [0, 0, 1, 0, 1]
    assert [sum(row) for row in counts] == [1, 1, 1, 2]
    assert sum(map(sum, counts)) == len(PAIRS)
    diagonal = sum(counts[i][i] for i in range(len(rows)))
    assert diagonal == sum(g == p for (_, g), p in zip(PAIRS, PREDICTED, strict=True)) == 2


def test_report_compares_systems():
    systems = [
        {"id": "ours", "name": "ours", "config": "bot/config.yml", "training_seconds": 200.0},
        {"id": "tfidf_knn", "name": "tf-idf", "config": "x", "training_seconds": 0.2, "threshold": 0.1},
    ]
    systems[0] |= {"parse_ms_per_message": 20.0, "predicted": [label for _, label in PAIRS]}
    systems[1] |= {"parse_ms_per_message": 0.1, "predicted": PREDICTED, "threshold_leave_one_out_rate": 0.6}
    report = evaluate.compare(systems, PAIRS, [("你好", "greet")])
    assert report["heldout"]["seen_in_training"] == 1
    assert report["deltas_points"]["tfidf_knn"]["intent_accuracy"] == pytest.approx(60.0)
    text = evaluate.markdown(report)
    assert "| Δ ours − tfidf_knn | +60.0 |" in text
    assert "3 of 5 wrong" in text


def test_heldout_labels_exist_in_training_data():
    training = {label for _, label in load_training()}
    assert {label for _, label in load_heldout()} <= training


def test_load_heldout_reads_every_example_with_its_label(tmp_path):
    path = tmp_path / "heldout.yml"
    path.write_text(
        'version: "3.1"\nnlu:\n- intent: faq/job_scam\n  examples: |\n    - 招工要交押金正常不\n'
        "    -   中介收钱  \n\n- intent: greet\n  examples: |\n    - 你好\n",
        encoding="utf-8",
    )
    assert load_heldout(path) == [
        ("招工要交押金正常不", "faq/job_scam"),
        ("中介收钱", "faq/job_scam"),
        ("你好", "greet"),
    ]


def test_load_training_labels_faq_examples_by_their_key(tmp_path):
    (tmp_path / "nlu.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: faq/yulu_plan\n  examples: |\n    - 雨露计划给多少\n'
        "- intent: greet\n  examples: |\n    - 你好\n",
        encoding="utf-8",
    )
    assert sorted(load_training(tmp_path)) == [("你好", "greet"), ("雨露计划给多少", "faq/yulu_plan")]
