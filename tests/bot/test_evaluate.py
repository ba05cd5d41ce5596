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
    assert matcher.predict(TEST) == [
        "faq/unpaid_wages",
        "faq/transport_subsidy",
        "greet",
        "out_of_scope",
        "greet",  # shares nothing but char_wb's space padding; closest to the shortest example
    ]
    label, similarity, text = matcher.nearest(["车票补多少"])[0]
    assert (label, text) == ("faq/transport_subsidy", "车票能补多少钱")
    assert 0.5 < similarity < 0.6


def test_tfidf_refuses_below_threshold():
    assert _fit(threshold=0.3).predict(TEST) == [
        "faq/unpaid_wages",
        "faq/transport_subsidy",
        "greet",
        "out_of_scope",
        REFUSAL,
    ]


def test_tfidf_threshold_by_leave_one_out_on_training_data():
    matcher = _fit()
    # leave-one-out: the two out-of-scope examples match nothing of their own (0.086, 0.068) and every
    # other example its twin (≥ 0.116), so 0.09 refuses exactly the out-of-scope ones
    assert matcher.threshold == 0.09
    assert matcher.leave_one_out_rate == 1.0
    assert [label for label, _ in matcher.leave_one_out()][:6] == [label for _, label in TRAIN][:6]
    assert matcher.predict(TEST) == [
        "faq/unpaid_wages",
        "faq/transport_subsidy",
        "greet",
        "out_of_scope",
        "greet",
    ]


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
    heldout = load_heldout()
    assert len(heldout) >= 300
    assert all(text for text, _ in heldout)
    training = {label for _, label in load_training()}
    assert {label for _, label in heldout} <= training
    assert any(label.startswith("faq/") for label in training)
