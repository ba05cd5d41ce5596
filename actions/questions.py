"""What the calculators ask, one short question at a time, with buttons where the answer is a choice.

`example` is what the bot says instead of repeating itself after two answers it could not use.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Question:
    text: str
    example: str
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (title, payload)


YES_NO = [("是", "/affirm"), ("不是", "/deny")]
TIERS = [("省外", "省外"), ("县外省内", "县外省内"), ("县内", "县内")]

QUESTIONS: dict[str, dict[str, Question]] = {
    "transport_form": {
        "registered_poor": Question(
            "是建档立卡贫困户吗？（替别人问的，说他家的情况）",
            "交通补助只给建档立卡贫困劳动力，请回答“是”或“不是”；不清楚可以问村委会。",
            YES_NO,
        ),
        "tier": Question(
            "在哪里打工？说地名就行，比如“广东东莞”“昆明”“宣威”“娜姑”。",
            "补多少要看去哪里：请回复省份或城市，比如“浙江”“昆明”，或者直接选“省外 / 县外省内 / 县内”。",
            TIERS,
        ),
        "months": Question(
            "在那边稳定干了几个月了？",
            "要稳定干满几个月才能领，请回复月数，比如“5个月”“半年”“刚去10天”。",
        ),
        "ticket": Question(
            "从家到打工地方的车票（汽车、火车）一共多少钱？",
            "按车票报销，请回复票价，比如“680”“三百五”“120块”。",
        ),
        "organised": Question(
            "是跟县里、乡里统一组织出去的，还是自己出去的？",
            "这关系到要不要交工资证明，请选“统一组织的”或“自己出去的”。",
            [("统一组织的", "县里统一组织出去的"), ("自己出去的", "自己出去的")],
        ),
        "claimed_this_year": Question(
            "今年领过交通补助没有？",
            "每人每年只能领一次，请回复“没领过”或“领过了”。",
            [("没领过", "/deny"), ("领过了", "/affirm")],
        ),
    },
    "organiser_form": {
        "organiser_type": Question(
            "是谁组织输出的？",
            "不同的组织者补贴不一样，请选一个，比如“村委会”“劳务经纪人”。",
            [
                ("村委会/乡镇", "村委会组织的"),
                ("劳务经纪人", "劳务经纪人"),
                ("人力资源机构", "人力资源服务机构"),
                ("中介/派遣公司", "劳务派遣公司"),
                ("个人", "我个人组织的"),
            ],
        ),
        "workers_poor": Question(
            "输出的是建档立卡贫困劳动力吗？",
            "建档立卡的按人头补，不是的按“以奖代补”，请回答“是”或“不是”。",
            YES_NO,
        ),
        "tier": Question(
            "输出到哪里务工？说地名就行，比如“浙江”“昆明”“宣威”。",
            "补多少要看去哪里：请回复省份或城市，或者选“省外 / 县外省内 / 县内”。",
            TIERS,
        ),
        "workers": Question("一共组织输出了多少人？", "请回复人数，比如“25个”“三十人”。"),
        "months": Question(
            "他们在那边履行劳动合同满几个月了？",
            "要干满几个月才能申请，请回复月数，比如“3个月”“半年”。",
        ),
        "stable": Question(
            "干满半年还在岗的有多少人？",
            "稳定奖励按半年后还在干的人数算，请回复人数，比如“18个”。",
        ),
    },
    "arbitration_form": {
        "dispute_date": Question(
            "欠钱（或被辞退）是哪天开始的？或者您哪天知道的？",
            "请回复一个日期，比如“9月1号”“上个月10号”“2026-09-01”“去年腊月”。",
        ),
    },
}
