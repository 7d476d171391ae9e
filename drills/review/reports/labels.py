"""Headings and column names of the report in both languages."""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    "report": ("演练评估报告", "After-action report"),
    "draft": ("草稿 — 尚未审核签字", "DRAFT — not yet signed off"),
    "signed": ("已审核签字", "Signed off"),
    "overview": ("一、演练基本情况", "1. Exercise overview"),
    "summary": ("二、执行摘要", "2. Executive summary"),
    "method": ("三、评估方法", "3. Evaluation method"),
    "timeline": ("四、演练执行情况（时间线）", "4. Timeline"),
    "analysis": ("五、目标与能力分析", "5. Analysis of objectives and capabilities"),
    "roles": ("六、角色与团队表现", "6. Role and team performance"),
    "adequacy": ("七、预案评估", "7. Plan adequacy"),
    "findings": ("八、问题清单", "8. Findings register"),
    "improvement": ("九、改进计划", "9. Improvement plan"),
    "hotwash": ("十、热回顾与参演人员自评", "10. Hot wash and self-assessment"),
    "conclusion": ("十一、评估结论", "11. Conclusion"),
    "appendix": ("附录", "Appendices"),
    "profile": ("附录A 评分方案", "Appendix A. Scoring profile"),
    "decisions": ("附录B 决策记录", "Appendix B. Decisions"),
    "journal": ("附录C 原始日志", "Appendix C. Raw journal"),
    "signoff": ("审核签字", "Sign-off"),
    "plan": ("预案", "Plan"),
    "scenario": ("想定", "Scenario"),
    "date": ("日期", "Date"),
    "drill": ("演练编号", "Drill"),
    "mode": ("模式", "Mode"),
    "compression": ("时间压缩", "Time compression"),
    "seed": ("随机种子", "Seed"),
    "roster": ("参演人员", "Roster"),
    "role": ("角色", "Role"),
    "who": ("人员", "Who"),
    "score": ("得分", "Score"),
    "rating": ("评定", "Rating"),
    "on_time": ("按时率", "On time"),
    "strengths": ("主要优点", "Top strengths"),
    "to_improve": ("主要问题", "Top areas for improvement"),
    "counts": ("问题数量", "Findings"),
    "objective": ("目标", "Objective"),
    "capability": ("能力项", "Capability"),
    "time": ("时间", "Time"),
    "inject": ("信息", "Inject"),
    "from_to": ("来源 → 接收", "From → to"),
    "expected": ("预期行动", "Expected action"),
    "deadline": ("时限", "Deadline"),
    "done": ("完成", "Done"),
    "status": ("结果", "Result"),
    "credit": ("得分率", "Credit"),
    "clause": ("预案条款", "Plan clause"),
    "id": ("编号", "ID"),
    "class": ("类别", "Class"),
    "finding": ("问题", "Finding"),
    "evidence": ("证据", "Evidence"),
    "issue": ("问题", "Issue"),
    "action": ("整改措施", "Corrective action"),
    "element": ("要素", "Element"),
    "owner": ("责任人", "Owner"),
    "due": ("完成期限", "Due"),
    "decision": ("决策", "Decision"),
    "note": ("备注", "Note"),
    "accepted": ("受理", "Accepted"),
    "refused": ("拒绝", "Refused"),
    "none": ("无", "None"),
    "reasons": ("评定受限原因", "What held the rating back"),
    "unscored": ("* 不计分（资料不足）", "* unscored (the sources are silent)"),
    "met": ("按时完成", "met"),
    "late": ("超时", "late"),
    "missed": ("遗漏", "missed"),
    "partly": ("部分正确", "partly right"),
    "provenance": ("附录D 信息来源（编写依据）", "Appendix D. Where the injects come from"),
    "immediate_note": (
        "预案写作“立即/第一时间/迅速”而未给出时限的规则，本评分方案按{minutes}分钟计（评分方案的判断，非预案规定）。",
        "Rules the plan gives as 立即/第一时间/迅速 (immediately) without a figure are scored "
        "against {minutes} minutes: the scoring profile's judgement, not the plan's.",
    ),
    "pending": ("未完成", "open"),
    "training": ("训练", "training"),
    "exam": ("考核", "exam"),
    "name": ("姓名", "Name"),
    "comment": ("意见", "Comment"),
    "signed_at": ("时间", "At"),
    "not_signed": ("尚未签字。", "Not signed yet."),
    "hotwash_notes": ("热回顾记录", "Hot-wash notes"),
    "self_notes": ("参演人员自评", "Self-assessments"),
    "no_notes": ("暂无记录。", "Nothing recorded yet."),
    "method_text": (
        "评分依据预案规则：时效性、正确性（级别按序数计分）、角色、顺序与违规行动；关键行动遗漏或严重违规不可补偿。",
        "Scored against the plan's rules: timeliness, correctness (levels scored ordinally), "
        "role, order and prohibited actions; critical failures cannot be compensated.",
    ),
}


def t(key: str, lang: str) -> str:
    zh, en = LABELS[key]
    return zh if lang == "zh" else en


def pick(text: dict[str, str] | None, lang: str) -> str:
    if not text:
        return ""
    return text.get(lang) or text.get("en") or next(iter(text.values()))
