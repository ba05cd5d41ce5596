"""The console's pages under /admin: login, inbox, transcript, handoff queue, corrections, dashboard.

Every request to the blueprint passes `guard` first: without a logged-in staff member a page redirects
to the login and anything else (exports, form posts) gets 401; every POST must carry the CSRF token.
Only the login page and the static files are open. Responses are never cached and may not be framed;
the only script is the console's own file (keyboard shortcuts), never an inline one.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup, escape

from bot.gateway import transcripts
from bot.gateway.admin import (
    audit,
    auth,
    catalog,
    charts,
    clock,
    csrf,
    export,
    labels,
    queries,
    review,
    search,
    stats,
)
from bot.gateway.admin.filters import Filters

GATEWAY = Path(__file__).resolve().parent.parent
bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder=str(GATEWAY / "templates"),
    static_folder=str(GATEWAY / "static" / "admin"),
    static_url_path="/static",
)

PUBLIC = {"admin.login", "admin.static"}  # everything else needs a logged-in staff member
NOT_PAGES = {"admin.export_csv", "admin.export_nlu"}  # refused with 401, not sent to the login page
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
MAX_DASHBOARD_DAYS = 366
QUEUE_SHOWN = 200  # the longest waiting; a longer queue is a staffing problem, not a paging one
SQLITE_MAX_INT = 2**63 - 1
# ids in URLs: a longer number is no row (404) instead of an OverflowError from SQLite (500)
ROW_ID = f"int(max={SQLITE_MAX_INT})"


def db():
    return transcripts.get_db()


def staff() -> str:
    return g.admin_staff.username


# -- the guard, headers, template helpers -------------------------------------------------------------------


@bp.before_request
def guard():
    if request.endpoint in PUBLIC:
        if request.method == "POST":
            csrf.check()
        return None
    if auth.current_staff() is None:
        if request.method == "GET" and request.endpoint not in NOT_PAGES:
            return redirect(url_for("admin.login", next=_here()))
        return render_template("admin/unauthorized.html"), 401
    if request.method == "POST":
        csrf.check()
    return None


@bp.after_request
def headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP  # stricter than the app's; the rest come from it
    if request.endpoint != "admin.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(400)
@bp.errorhandler(404)
def error_page(error):
    return render_template("admin/error.html", error=error), error.code


@bp.context_processor
def helpers() -> dict:
    return {
        "csrf_token": csrf.token,
        "current_staff": auth.current_staff,
        "local": clock.local,
        "waited": clock.waited,
        "highlight": highlight,
        "intent_label": labels.intent,
        "channel_label": labels.channel,
        "shown": labels.shown,
        "pct": lambda value: "—" if value is None else f"{value * 100:.0f}%",
        "confidence": lambda value: "—" if value is None else f"{value:.2f}",
    }


def highlight(text: str, query: str = "", width: int = 0) -> Markup:
    """The text escaped, search terms wrapped in <mark>; cut to about `width` characters around the first."""
    text = text or ""
    words = search.terms(query) if query else []
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE) if words else None
    if width and len(text) > width:
        found = pattern.search(text) if pattern else None
        start = max(0, found.start() - width // 3) if found else 0
        text = ("…" if start else "") + text[start : start + width] + "…"
    if not pattern:
        return Markup(escape(text))
    pieces, last = [], 0
    for found in pattern.finditer(text):
        pieces.append(escape(text[last : found.start()]))
        pieces.append(Markup("<mark>") + escape(found.group()) + Markup("</mark>"))
        last = found.end()
    pieces.append(escape(text[last:]))
    return Markup("").join(pieces)


def _here() -> str:
    return request.full_path.rstrip("?")


def _safe_next(target: str | None) -> str:
    """Only a path inside the console: never another host (open redirect), never a control character
    (a line break in the Location header is a 500, or a header injection behind a laxer server)."""
    if target and target.isprintable():
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/admin") and "\\" not in target:
            return target
    return url_for("admin.inbox")


def _int(raw: str | None, default: int) -> int:
    """A number from the request; the default when there is none, or none SQLite could store."""
    try:
        value = int(raw) if raw else default
    except ValueError:
        return default
    return value if -SQLITE_MAX_INT - 1 <= value <= SQLITE_MAX_INT else default


def _filters() -> Filters:
    return Filters.from_args(request.args)


# -- login ------------------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if auth.current_staff():
            return redirect(_safe_next(request.args.get("next")))
        return render_template("admin/login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "").strip()[:80]
    password = request.form.get("password", "")[:200]
    wait, delay = auth.admit(db(), username, request.remote_addr)
    if wait > 0:
        seconds = auth.retry_after(wait)
        page = render_template(
            "admin/login.html",
            next=request.form.get("next", ""),
            username=username,
            problem=f"尝试太频繁，请 {seconds} 秒后再试。",
        )
        return page, 429, {"Retry-After": str(seconds)}
    user = auth.verify(db(), username, password)
    if user is None:
        review.log_action(db(), username or "?", "login_failed", address=request.remote_addr, delay=delay)
        page = render_template(
            "admin/login.html",
            next=request.form.get("next", ""),
            username=username,
            problem="用户名或密码不对。",
        )
        return page, 401
    auth.clear_failures(db(), username, request.remote_addr)
    auth.start_session(db(), user)
    csrf.renew()
    review.log_action(db(), user["username"], "login", address=request.remote_addr)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    auth.end_session(db(), staff())
    flash("已退出。")
    return redirect(url_for("admin.login"))


# -- inbox ------------------------------------------------------------------------------------------------


@bp.get("/")
def inbox():
    filters = _filters()
    per_page = current_app.config["ADMIN_PAGE_SIZE"]
    page = queries.inbox(db(), filters, _int(request.args.get("page"), 1), per_page)
    today = clock.today()
    ranges = {
        "今天": (today, today),
        "最近7天": (today - dt.timedelta(days=6), today),
        "最近30天": (today - dt.timedelta(days=29), today),
    }
    return render_template(
        "admin/inbox.html",
        filters=filters,
        page=page,
        counts=queries.toggle_counts(db(), filters),
        facets=queries.facets(db()),
        ranges=ranges,
        catalog=catalog.get(),
        default_threshold=current_app.config["ADMIN_LOW_CONFIDENCE"],
    )


# -- one conversation ------------------------------------------------------------------------------------------


def _conversation_or_404(conversation_id: int) -> dict:
    found = queries.conversation(db(), conversation_id)
    if found is None:
        abort(404)
    return found


def _back(conversation_id: int, anchor: str | None = None):
    return redirect(
        url_for("admin.transcript", conversation_id=conversation_id, **_filters().to_args(), _anchor=anchor)
    )


@bp.get(f"/conversations/<{ROW_ID}:conversation_id>")
def transcript(conversation_id: int):
    conversation = _conversation_or_404(conversation_id)
    filters = _filters()
    newer, older = queries.neighbours(db(), filters, conversation_id)
    return render_template(
        "admin/transcript.html",
        conversation=conversation,
        messages=queries.messages(db(), conversation_id),
        notes=queries.notes(db(), conversation_id),
        waiting=queries.waiting_for(db(), conversation_id),
        history=audit.recent(db(), conversation_id=conversation_id, limit=50),
        catalog=catalog.get(),
        filters=filters,
        newer=newer,
        older=older,
        next_unreviewed=queries.next_unreviewed(db(), filters, conversation_id),
        threshold=filters.threshold,
    )


@bp.post(f"/conversations/<{ROW_ID}:conversation_id>/review")
def mark_reviewed(conversation_id: int):
    _conversation_or_404(conversation_id)
    reviewed = request.form.get("reviewed") == "1"
    review.set_reviewed(db(), staff(), conversation_id, reviewed)
    flash("已标记为已看。" if reviewed else "已取消“已看”。")
    return _back(conversation_id)


@bp.post(f"/conversations/<{ROW_ID}:conversation_id>/tags")
def add_tag(conversation_id: int):
    _conversation_or_404(conversation_id)
    try:
        review.add_tag(db(), staff(), conversation_id, request.form.get("tag", ""))
    except review.Refused as problem:
        flash(str(problem), "error")
    return _back(conversation_id)


@bp.post(f"/conversations/<{ROW_ID}:conversation_id>/tags/remove")
def remove_tag(conversation_id: int):
    _conversation_or_404(conversation_id)
    review.remove_tag(db(), staff(), conversation_id, request.form.get("tag", ""))
    return _back(conversation_id)


@bp.post(f"/conversations/<{ROW_ID}:conversation_id>/notes")
def add_note(conversation_id: int):
    _conversation_or_404(conversation_id)
    try:
        review.add_note(db(), staff(), conversation_id, request.form.get("body", ""))
    except review.Refused as problem:
        flash(str(problem), "error")
    return _back(conversation_id, "notes")


def _user_message_or_404(message_id: int) -> dict:
    message = queries.message(db(), message_id)
    if message is None or message["direction"] != "in":
        abort(404)
    return message


@bp.post(f"/messages/<{ROW_ID}:message_id>/correction")
def correct(message_id: int):
    message = _user_message_or_404(message_id)
    intent = request.form.get("intent", "")
    if intent not in catalog.get():
        abort(400, description="没有这个意图（只能选训练数据 nlu_data/nlu/ 里有的意图或 FAQ 键）。")
    try:
        review.correct(db(), staff(), message, intent)
        flash(f"已更正为 {labels.intent(intent)}。")
    except review.Refused as problem:
        flash(str(problem), "error")
    return _back(message["conversation_id"], f"m{message_id}")


@bp.post(f"/messages/<{ROW_ID}:message_id>/correction/delete")
def delete_correction(message_id: int):
    message = _user_message_or_404(message_id)
    review.delete_correction(db(), staff(), message)
    flash("已删除这条更正。")
    return _back(message["conversation_id"], f"m{message_id}")


# -- handoff queue --------------------------------------------------------------------------------------


@bp.get("/handoffs")
def handoffs():
    return render_template(
        "admin/handoffs.html",
        queue=queries.handoff_queue(db(), limit=QUEUE_SHOWN),
        waiting_total=queries.handoff_count(db()),
        handled=queries.handled_recently(db()),
    )


@bp.post(f"/handoffs/<{ROW_ID}:conversation_id>/handled")
def handoff_handled(conversation_id: int):
    conversation = _conversation_or_404(conversation_id)
    last = (
        db()
        .execute("SELECT max(id) FROM messages WHERE conversation_id = ?", [conversation_id])
        .fetchone()[0]
    )
    # up to what the staff member saw: a message the worker sent since then keeps the conversation waiting
    upto = min(_int(request.form.get("upto"), last or 0), last or 0)
    review.mark_handled(db(), staff(), conversation["id"], upto, request.form.get("note", ""))
    flash(f"会话 {conversation_id} 已标记为已处理。")
    if request.form.get("from") == "transcript":
        return _back(conversation_id)
    return redirect(url_for("admin.handoffs"))


# -- corrections and exports ----------------------------------------------------------------------------


@bp.get("/corrections")
def corrections():
    filters = _filters()
    return render_template(
        "admin/corrections.html",
        filters=filters,
        rows=queries.corrections(db(), filters),
        catalog=catalog.get(),
    )


def _stamp() -> str:
    return clock.now().astimezone(clock.zone()).strftime("%Y%m%d-%H%M")


@bp.get("/export/corrections.yml")
def export_nlu():
    filters = _filters()
    body, count = export.corrections_yaml(db(), filters, staff=staff())
    review.log_action(db(), staff(), "export_nlu", examples=count, filters=filters.to_args())
    return Response(
        body,
        mimetype="application/x-yaml",
        headers={"Content-Disposition": f'attachment; filename="corrections-{_stamp()}.yml"'},
    )


@bp.get("/export/transcripts.csv")
def export_csv():
    filters = _filters()
    body, count = export.transcripts_csv(db(), filters)
    review.log_action(db(), staff(), "export_csv", rows=count, filters=filters.to_args())
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="transcripts-{_stamp()}.csv"',
        },
    )


# -- dashboard and audit log ------------------------------------------------------------------------------


@bp.get("/dashboard")
def dashboard():
    today = clock.today()
    last = Filters.from_args(request.args).date_to or today
    first = Filters.from_args(request.args).date_from or last - dt.timedelta(days=13)
    if first > last:
        first, last = last, first
    first = max(first, last - dt.timedelta(days=MAX_DASHBOARD_DAYS - 1))
    days = stats.days(db(), first, last)
    days_shown = [day.day[5:] for day in days]  # MM-DD
    top_intents = stats.top_intents(db(), first, last)
    top_faq = stats.top_faq_keys(db(), first, last)
    slowest = stats.slowest(db(), first, last)
    totals = {
        "user_messages": sum(d.user_messages for d in days),
        "conversations": stats.active_conversations(db(), first, last),
        "fallbacks": sum(d.fallbacks for d in days),
        "handoffs": sum(d.handoff_conversations for d in days),
        "unanswered": len(set().union(*(d.unanswered for d in days))),
    }
    return render_template(
        "admin/dashboard.html",
        first=first,
        last=last,
        totals=totals,
        latency=stats.latency_summary(db(), first, last),
        slowest=slowest,
        messages_chart=charts.column_chart(
            [(label, day.user_messages) for label, day in zip(days_shown, days, strict=True)],
            title="每天用户消息数",
        ),
        rates_chart=charts.line_chart(
            days_shown,
            [
                ("没答好率", [day.unanswered_rate for day in days]),
                ("兜底率", [day.fallback_rate for day in days]),
                ("转人工率", [day.handoff_rate for day in days]),
            ],
            title="没答好率、兜底率和转人工率",
        ),
        intents_chart=charts.ranked_bars(
            [(labels.intent(name), n) for name, n in top_intents], title="最多的意图"
        ),
        faq_chart=charts.ranked_bars([(labels.intent(k), n) for k, n in top_faq], title="最多的 FAQ"),
        slowest_chart=charts.ranked_bars(
            [(f"#{row['id']} {labels.shown(row['text'])[0][:24]}", row["latency_ms"]) for row in slowest],
            title="最慢的回合（毫秒）",
            width=900,
            label_width=320,
            max_label=30,
            value_format=lambda v: f"{v} ms",
        ),
    )


@bp.get("/audit")
def audit_log():
    return render_template("admin/audit.html", entries=audit.recent(db(), limit=300))
