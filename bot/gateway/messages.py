"""The gateway's own short sentences (no facts in them: phones and amounts come from policy_kb)."""

# WeChat: Rasa was slower than the passive-reply budget; the answer is kept for the next message
HOLDING = "正在查询，请稍等几秒后回复任意字查看结果"

# WeChat: pictures, locations, links, videos… the bot reads text only
PLEASE_TYPE = "我只看得懂文字。请直接打字把问题发给我，比如“老板拖欠工资怎么办？”"
VOICE_NOT_RECOGNISED = "这段语音我没听清。请打字把问题发给我，比如“老板拖欠工资怎么办？”"

# WeChat: long answers come in parts of at most 2048 bytes
MORE = "更多"
MORE_HINT = "回复“更多”查看下一段"
NO_MORE = "这条回答已经全部发完了。还有问题请直接打字问我。"

# WeChat: quick-reply buttons become numbered lines
CHOICE_LINE = "回复 {number} {title}"

# How a message without text is written into the transcript
NON_TEXT_LABELS = {
    "voice": "[语音]",
    "image": "[图片]",
    "location": "[位置]",
    "link": "[链接]",
    "video": "[视频]",
    "shortvideo": "[小视频]",
}
OTHER_LABEL = "[其他消息]"


def please_type(kind: str) -> str:
    """The reply to a WeChat message that is not text: a voice we could not read, an image or a link
    (often a job ad: we ask for its text, policy_kb/job_ads.py), anything else."""
    if kind == "voice":
        return VOICE_NOT_RECOGNISED
    if kind in ("image", "link"):
        from policy_kb import job_ads

        return job_ads.send_text_reply()
    return PLEASE_TYPE
