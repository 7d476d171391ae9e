"""UI labels in Chinese and English. The language is chosen once, at start-up."""

from __future__ import annotations

_LANG = "zh"

LABELS: dict[str, tuple[str, str]] = {
    "app": ("Drillhall 桌面推演", "Drillhall tabletop drills"),
    "role": ("角色", "Role"),
    "pick_role": ("选择你的角色", "Pick your role"),
    "duties": ("职责", "Duties"),
    "inbox": ("收件箱", "Inbox"),
    "message": ("信息", "Message"),
    "decide": ("决策", "Decide"),
    "action": ("行动", "Action"),
    "choose_action": ("选择行动", "Choose an action"),
    "note": ("备注", "Note"),
    "submit": ("提交", "Submit"),
    "checklist": ("预案要求", "What the plan expects"),
    "feedback": ("反馈", "Feedback"),
    "state": ("态势", "Situation"),
    "paused": ("已暂停", "paused"),
    "running": ("进行中", "running"),
    "ended": ("已结束", "ended"),
    "speed": ("倍速", "speed"),
    "no_messages": ("尚无信息。", "No messages yet."),
    "select_message": ("从收件箱选择一条信息。", "Select a message in the inbox."),
    "from": ("来自", "From"),
    "to": ("发给", "To"),
    "channel": ("渠道", "Channel"),
    "accepted": ("已记录", "Recorded"),
    "host_lost": (
        "与主持端的连接中断，正在重连；已提交的决策会保留并在恢复后发送",
        "The host is unreachable; reconnecting. Decisions you make are kept and sent "
        "when it is back",
    ),
    "host_back": ("已重新连接主持端", "Reconnected to the host"),
    "refused": ("被拒绝", "Refused"),
    "on_time": ("按时", "on time"),
    "late": ("超时", "late"),
    "missed": ("遗漏", "missed"),
    "partly": ("部分正确", "partly right"),
    "other_role": ("非责任角色完成", "done by another role"),
    "left": ("剩余", "left"),
    "overdue": ("已超时", "overdue"),
    "done": ("完成", "done"),
    "no_deadline": ("无时限", "no deadline"),
    "hint": ("提示", "Hint"),
    "results": ("演练结果", "Drill results"),
    "your_score": ("你的得分", "Your score"),
    "team_score": ("团队得分", "Team score"),
    "rating": ("评定", "Rating"),
    "findings": ("问题", "Findings"),
    "open_report": ("打开报告", "Open report"),
    "quit": ("退出", "Quit"),
    "report_written": ("报告已保存", "Report written"),
    "pause": ("暂停/继续", "Pause/resume"),
    "faster": ("加速", "Faster"),
    "slower": ("减速", "Slower"),
    "skip": ("跳到下一条", "Skip to next inject"),
    "help": ("帮助", "Help"),
    "theme": ("切换主题", "Toggle theme"),
    "focus_composer": ("去决策", "Go to decision"),
    "focus_inbox": ("去收件箱", "Go to inbox"),
    "trainer": ("导调台", "Trainer console"),
    "roster": ("参演角色", "Roster"),
    "timeline": ("时间线", "Timeline"),
    "board": ("预期行动", "Expectations"),
    "scoreboard": ("实时得分", "Live score"),
    "fire": ("立即发送信息", "Fire an inject"),
    "send_hint": ("发送提示", "Send a hint"),
    "end": ("结束演练", "End the drill"),
    "start": ("开始", "Start"),
    "hotwash": ("热回顾记录", "Hot-wash notes"),
    "author": ("记录人", "Author"),
    "save": ("保存", "Save"),
    "cancel": ("取消", "Cancel"),
    "saved": ("已保存", "Saved"),
    "review": ("评估台", "Review console"),
    "drills": ("演练记录", "Drills"),
    "filter": ("筛选想定", "Filter by scenario"),
    "all_ratings": ("全部评定", "All ratings"),
    "trend": ("得分趋势", "Score trend"),
    "export": ("导出报告", "Export report"),
    "sign": ("审核签字", "Sign off"),
    "signed_by": ("签字人", "Signed by"),
    "comment": ("意见", "Comment"),
    "draft": ("草稿", "Draft"),
    "signed": ("已签字", "Signed"),
    "scenario": ("想定", "Scenario"),
    "score": ("得分", "Score"),
    "status": ("状态", "Status"),
    "date": ("日期", "Date"),
    "who": ("人员", "Who"),
    "you": ("你", "you"),
    "keys": ("按键说明", "Key bindings"),
    "key": ("按键", "Key"),
    "does": ("作用", "Does"),
    "close": ("关闭", "Close"),
    "pending": ("待办", "pending"),
    "met": ("按时", "met"),
    "nothing_to_skip": ("没有已排定的信息。", "No scheduled inject to skip to."),
    "select_drill": ("选择一次演练。", "Select a drill."),
    "bad_db": ("无法打开数据库", "Cannot open the database"),
    "trainer_clock": (
        "联合演练的时钟由导调控制。",
        "The trainer controls the clock of a hosted drill.",
    ),
    "host_code": ("演练代码", "Drill code"),
    "join_title": ("加入联合演练", "Join a drill"),
    "role_id": ("角色编号（向导调索取）", "Role id (ask the trainer)"),
    "your_name": ("你的姓名", "Your name"),
    "join": ("加入", "Join"),
    "self_assess": ("自我评估", "Self-assessment"),
    "self_assess_prompt": ("哪些做得好？哪些需要改进？", "What went well? What would you change?"),
    "briefing": ("演练简报", "Briefing"),
    "loading": ("正在读取演练想定……", "Reading the scenario…"),
    "show_roles": ("查看可选角色", "Show free roles"),
    "no_free_roles": ("没有空闲的角色。", "No role is free."),
    "code_and_name": ("请输入演练代码和你的姓名。", "Type the drill code and your name."),
    "situation": ("情景", "Situation"),
    "objectives": ("演练目的", "Objectives"),
    "mode_training": (
        "训练模式：预案要求和反馈会即时显示。",
        "Training: what the plan expects and feedback are shown as you go.",
    ),
    "mode_exam": (
        "考核模式：演练结束前不显示评判。",
        "Exam: nothing is judged on screen until the drill ends.",
    ),
    "start_drill": ("开始演练", "Start the drill"),
    "repeat_question": (
        "刚刚已提交过同样的决策（{action}）。再提交一次？",
        "You made this same decision ({action}) a moment ago. Submit it again?",
    ),
    "submit_again": ("再次提交", "Submit again"),
    "quit_solo": (
        "演练尚未结束。退出后演练暂停，可用 drillhall resume {drill} 继续。现在退出？",
        "The drill has not ended. It stays paused; continue it with drillhall resume {drill}. "
        "Quit now?",
    ),
    "quit_joined": (
        "演练仍在进行，退出后你的角色无人操作。可用 {command} 重新加入。现在退出？",
        "The drill goes on without you. Rejoin with {command}. Quit now?",
    ),
    "come_back_solo": (
        "演练已暂停。继续：drillhall resume {drill}",
        "Drill paused. Continue with: drillhall resume {drill}",
    ),
    "come_back_joined": ("重新加入：{command}", "Rejoin with: {command}"),
    "computing": ("正在计算最终得分……", "Computing the final score…"),
    "opens": ("将产生的预期行动", "Opens"),
    "then": ("随后触发", "Then"),
    "pick_inject": ("选择一条信息，查看它将触发什么。", "Pick an inject to see what it opens."),
    "nothing_to_fire": ("所有信息都已发出。", "Every inject has fired."),
    "hint_roles": ("发给（不选则发给全部角色）", "To (none ticked: every role)"),
    "hint_empty": ("提示内容为空。", "The hint is empty."),
    "join_with": ("学员加入命令", "Trainees join with"),
    "free_seat": ("释放席位", "Free the seat"),
    "free_seat_question": (
        "释放「{role}」的席位？当前学员将断开，其他人可以加入该角色。",
        "Free the seat of {role}? Its trainee is disconnected and anyone may take the role.",
    ),
    "seat_freed": ("席位已释放", "Seat freed"),
    "end_question": (
        "结束演练？结束后不能再做决策。",
        "End the drill? No decision can be made after it.",
    ),
    "end_connected": ("{count} 名学员仍在线。", "{count} trainee(s) are connected."),
    "quit_trainer": (
        "演练尚未结束。退出后演练暂停，可用 drillhall resume {drill} 继续。现在退出？",
        "The drill has not ended. It stays paused; continue it with drillhall resume {drill}. "
        "Quit now?",
    ),
    "come_back_trainer": (
        "演练已暂停。继续：drillhall resume {drill}",
        "Drill paused. Continue with: drillhall resume {drill}",
    ),
    "final_score": ("最终得分", "Final score"),
    "final_failed": (
        "最终得分未能计算，请查看日志。",
        "The final score could not be computed; see the log.",
    ),
    "held_back": ("评定受限原因", "What held the rating back"),
    "back_to_drill": ("返回演练", "Back to the drill"),
    # Short words for the footer (the help table and the briefing show the same words).
    "key_help": ("帮助", "Help"),
    "key_inbox": ("收件箱", "Inbox"),
    "key_decide": ("决策", "Decide"),
    "key_briefing": ("简报", "Briefing"),
    "key_submit": ("提交", "Submit"),
    "key_pause": ("暂停", "Pause"),
    "key_slower": ("减速", "Slower"),
    "key_faster": ("加速", "Faster"),
    "key_skip": ("下一条", "Skip"),
    "key_skip_mine": ("下一条", "Skip"),
    "key_fire": ("发信息", "Fire"),
    "key_hint": ("提示", "Hint"),
    "key_free_seat": ("释放席位", "Free seat"),
    "key_end": ("结束", "End"),
    "key_quit": ("退出", "Quit"),
    "key_report": ("报告", "Report"),
    "key_hotwash": ("热回顾", "Hot wash"),
    "key_back": ("返回", "Back"),
    "key_export": ("导出", "Export"),
    "key_sign": ("签字", "Sign"),
    "key_filter": ("筛选", "Filter"),
    "key_close": ("关闭", "Close"),
    "key_cancel": ("取消", "Cancel"),
    "palette": ("命令", "commands"),
    "help_skip": ("跳到发给我的下一条信息", "Skip to my next inject"),
    "cmd_theme": ("切换主题", "Theme"),
    "cmd_theme_help": ("切换明暗主题", "Switch between the dark and light theme"),
    "cmd_quit_help": ("退出控制台（演练中会先确认）", "Quit the console (asks first mid-drill)"),
    "connected": ("在线", "connected"),
    "unread": ("{count} 条未读", "{count} unread"),
    "enter_does_not_submit": (
        "回车不会提交：按 F5（或 Ctrl+S）提交决策。",
        "Enter does not submit: press F5 (or Ctrl+S) to submit the decision.",
    ),
    "submit_key": ("F5 提交", "F5 submit"),
    "hint_in_action": ("回车展开列表 · F5 提交", "Enter opens the list · F5 submit"),
    "hint_in_field": ("Tab 下一项 · F5 提交", "Tab next field · F5 submit"),
    "hint_in_note": ("回车不提交 · F5 提交", "Enter does not submit · F5 submit"),
    "joined": ("已加入", "joined"),
    "seat_empty": ("空席", "empty"),
    "bot": ("机器人", "bot"),
    "rating_word": ("评定", "Rating"),
    "board_what": ("预期行动 · 责任角色", "Expectation · role"),
}

# The footer's short word → what the help table and the command palette say.
LONG: dict[str, str] = {
    "key_help": "help",
    "key_inbox": "focus_inbox",
    "key_decide": "focus_composer",
    "key_briefing": "briefing",
    "key_submit": "submit",
    "key_pause": "pause",
    "key_slower": "slower",
    "key_faster": "faster",
    "key_skip": "skip",
    "key_skip_mine": "help_skip",
    "key_fire": "fire",
    "key_hint": "send_hint",
    "key_free_seat": "free_seat",
    "key_end": "end",
    "key_quit": "quit",
    "key_report": "open_report",
    "key_hotwash": "hotwash",
    "key_back": "back_to_drill",
    "key_export": "export",
    "key_sign": "sign",
    "key_filter": "filter",
}


def long_label(key: str) -> str:
    """What a binding written with label ``key`` does, in full."""
    return _(LONG.get(key, key)) if key in LABELS else key


# Units of the scenarios' tracked figures. Counts need no unit in English (the figure's
# name says what is counted); 万 is ten thousand.
UNITS: dict[str, tuple[str, str]] = {
    "人": ("人", ""),
    "台": ("台", ""),
    "笔": ("笔", ""),
    "个": ("个", ""),
    "次": ("次", ""),
    "处": ("处", ""),
    "条": ("条", ""),
    "万次": ("万次", "×10k"),
    "万条": ("万条", "×10k"),
    "万人": ("万人", "×10k"),
}

BOTS: dict[str, tuple[str, str]] = {
    "ideal": ("标准", "ideal"),
    "novice": ("新手", "novice"),
    "idle": ("无动作", "idle"),
    "rogue": ("违规", "rogue"),
}

RATINGS_ZH = {"P": "优", "S": "良", "M": "中", "U": "差"}

CHANNELS: dict[str, tuple[str, str]] = {
    "phone": ("电话", "phone"),
    "sms": ("短信", "SMS"),
    "email": ("邮件", "email"),
    "radio": ("电台", "radio"),
    "system": ("系统", "system"),
    "media": ("媒体", "media"),
    "social": ("网络", "social"),
    "meeting": ("会议", "meeting"),
    "walk_in": ("来访", "visit"),
    "document": ("文件", "document"),
    "hotline": ("热线", "hotline"),
    "fax": ("传真", "fax"),
}


def set_language(lang: str) -> None:
    global _LANG
    _LANG = "zh" if lang == "zh" else "en"


def language() -> str:
    return _LANG


def _(key: str) -> str:
    zh, en = LABELS[key]
    return zh if _LANG == "zh" else en


def channel(name: str) -> str:
    zh, en = CHANNELS.get(name, (name, name))
    return zh if _LANG == "zh" else en


def unit(name: str | None) -> str:
    """A tracked figure's unit in the console's language ("" for none)."""
    if not name:
        return ""
    zh, en = UNITS.get(name, (name, name))
    return zh if _LANG == "zh" else en


def bot(policy: str) -> str:
    """A bot policy's name in the console's language."""
    zh, en = BOTS.get(policy, (policy, policy))
    return zh if _LANG == "zh" else en


def rating(letter: str) -> str:
    """A P/S/M/U rating as the console shows it: ``P 优`` in Chinese, ``P`` in English."""
    return f"{letter} {RATINGS_ZH.get(letter, '')}".rstrip() if _LANG == "zh" else letter


def text(value: dict[str, str] | object) -> str:
    """Scenario text in the current language (dicts or Bilingual models)."""
    if isinstance(value, dict):
        return str(value.get(_LANG) or value.get("en") or "")
    getter = getattr(value, "get", None)
    return str(getter(_LANG)) if getter else str(value)


def localize_bindings(node: object) -> None:
    """Translate this instance's key-binding descriptions (written as label keys), and
    show function keys as printed on a keyboard (``F2``, not ``f2``).

    Textual builds BINDINGS once per class; translating each instance's own copy is what
    lets one process show either language (the tests show both). Uses ``DOMNode._bindings``,
    which is why textual is pinned exactly.
    """
    from dataclasses import replace

    bindings = getattr(node, "_bindings", None)
    if bindings is None:
        return
    for key, items in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            replace(
                b,
                description=_(b.description) if b.description in LABELS else b.description,
                key_display=b.key_display or function_key(b.key),
            )
            for b in items
        ]


def function_key(key: str) -> str | None:
    """``f5`` → ``F5``; None for other keys (Textual's own display, e.g. ``^q``)."""
    return key.upper() if key[:1] == "f" and key[1:].isdigit() else None


def escape(value: str) -> str:
    """Make text safe to show in markup: every ``[`` is literal.

    (textual.markup.escape leaves brackets that do not look like tags to it, such as
    ``[Improvement]``, which the parser then still swallows.)
    """
    return value.replace("[", "\\[")
