"""Every word the staff pages (the sign-in door, the merchant pages, the support console) show: one
table per language, the same keys in both, so a missing translation is one look away.

Chinese comes first on the pages, English beside it. `{name}` marks a value filled in when shown.
"""

from __future__ import annotations

ZH: dict[str, str] = {
    # --- the sign-in door
    "sign_in_name": "登录名",
    "password": "密码",
    "sign_in": "登录",
    "sign_out": "退出",
    "signed_out": "已退出。",
    "too_many_failures": "登录失败次数过多，请 {minutes} 分钟后再试。",
    "sign_in_name_locked": (
        "这个登录名最近登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试；"
        "如果不是您本人在尝试，请联系管理员。"
    ),
    "wrong_password": "登录名或密码不对。",
    "sign_in_here": "请从本站登录。",
    "sign_in_first": "请先登录。",
    "back": "返回",
    # --- the merchant pages
    "merchant_sign_in": "商户登录",
    "merchant_sign_in_hint": "管理收银台二维码，为付款失败的顾客生成现场求助码。",
    "merchant": "商户服务",
    "merchant_form_expired": "表单已失效，请返回、刷新页面后再试。",
    "not_found": "没有找到。",
    "just_replaced": "刚刚已换过码，请刷新页面。",
    "no_chinese_font": "服务器缺少中文字体，暂时无法生成 PNG 海报，请下载 SVG。",
    "terminal": "终端",
    "terminal_named": "终端 {terminal_id}",
    "my_terminals": "我的终端",
    "no_code_yet": "还没有二维码",
    "make_code": "生成二维码",
    "printed_code": "已有二维码",
    "created": "创建于",
    "scans": "扫码次数",
    "poster": "下载海报",
    "replace_code": "换新码",
    "replace_warning": "旧海报会立即失效，需要打印新海报。",
    "replace_confirm": "确认换新码",
    "revoke": "停用",
    "revoke_warning": "停用后顾客扫这张海报将无法打开助手。",
    "revoke_confirm": "确认停用",
    "no_terminals": "还没有终端，请联系银行添加。",
    "done_made": "已为终端 {t} 生成二维码，请下载并打印海报。",
    "done_replaced": "已为终端 {t} 换新码：旧海报已失效，请打印新海报。",
    "done_revoked": "终端 {t} 的二维码已停用。",
    "counter_code": "现场求助码",
    "counter_hint": "顾客付款显示失败、钱却被扣了：填写这笔付款，让顾客用手机扫码，助手已知道金额和时间。",
    "amount_yuan": "金额（元）",
    "payment_time": "付款时间",
    "valid_for_hours": "有效期（小时）",
    "make_counter_code": "生成求助码",
    "code_revoked": "此码已停用",
    "code_expired": "此码已过期",
    "scan_with_phone": "请用手机扫码",
    "paid_at": "付款时间",
    "valid_until": "有效至",
    "no_counter_code": "无法生成求助码。",
    "recent_counter_codes": "最近的求助码",
    "recent_counter_hint": (
        "最近 {days} 天生成的求助码，最新的在前，最多 {limit} 个。点“打开”可再次给顾客扫码。"
    ),
    "no_recent_counter_codes": "最近 {days} 天没有生成过求助码。",
    "code_active": "有效",
    "code_state_expired": "已过期",
    "code_state_revoked": "已停用",
    "open_code": "打开",
    # --- the counter form's problems
    "choose_terminal": "请选择您的一台终端。",
    "enter_amount": "请填写金额，如 128.50。",
    "amount_above_zero": "金额必须大于零。",
    "amount_too_precise": "金额最多两位小数（分）。",
    "amount_not_a_number": "金额应为数字，如 128.50。",
    "amount_too_high": "金额超过 ¥{limit:,.2f}，助手无法受理，请联系银行。",
    "enter_time": "请填写付款时间。",
    "time_unreadable": "付款时间格式不对。",
    "time_in_future": "付款时间不能晚于现在。",
    "time_too_old": "付款时间早于 {days} 天前，助手无法受理。",
    "hours_out_of_range": "有效期应大于 0、不超过 {limit:g} 小时。",
    # --- the support console
    "support_sign_in": "客服登录",
    "support_console": "客服工作台",
    "support_form_expired": "表单已失效，请刷新页面后再试。",
    "waiting_conversations": "等待中的会话",
    "nobody_waiting": "现在没有等待的会话。",
    "mine": "我接手的会话",
    "reply_to_customer": "回复客户",
    "send": "发送",
    "ticket": "工单",
    "status": "状态",
    "unchanged": "不变",
    "note": "备注",
    "update_ticket": "更新工单",
    "resolution_note": "处理结论",
    "resolve": "解决并交还机器人",
    "hand_back": "直接交还机器人",
    # --- the support console's JSON API
    "api_signed_out": "请先登录",
    "api_csrf": "请刷新页面后再试",
    "api_not_found": "没有这个会话",
    "api_already_taken": "已被其他客服接手",
    "api_not_held": "请先接手此会话",
    "api_claim_unavailable": "暂时无法接手，请稍后再试",
    "api_closed": "此会话已结束",
    "api_bad_text": "消息应为 1 到 {limit} 字",
    "api_not_sent": "消息未发出，请重试",
    "api_no_ticket": "此会话没有工单",
    "api_bad_status": "状态无效",
    "api_empty": "请填写状态或备注",
    "api_transition": "工单不能改为该状态",
    "api_not_back": "已结束，但机器人暂未恢复",
    "finished_handed_back": "已交还机器人",
    "finished_resolved": "已解决，已交还机器人",
    "finished_ticket_settled": "已解决，工单 {ticket} 已标为已解决，已交还机器人",
    "finished_ticket_kept": "已解决，已交还机器人；工单 {ticket} 仍为 {status}，处理结论已记入工单",
}

EN: dict[str, str] = {
    # --- the sign-in door
    "sign_in_name": "Sign-in name",
    "password": "Password",
    "sign_in": "Sign in",
    "sign_out": "Sign out",
    "signed_out": "You have signed out.",
    "too_many_failures": "Too many failed sign-ins: please try again in {minutes} minutes.",
    "sign_in_name_locked": (
        "Too many failed sign-ins with this name lately, so it is locked for now: please try again in "
        "{minutes} minutes. If that was not you, please tell your administrator."
    ),
    "wrong_password": "The sign-in name or password is wrong.",
    "sign_in_here": "Please sign in on this site's own page.",
    "sign_in_first": "Please sign in first.",
    "back": "Back",
    # --- the merchant pages
    "merchant_sign_in": "Merchant sign-in",
    "merchant_sign_in_hint": "Manage your terminals' QR codes and make counter codes for failed payments.",
    "merchant": "Merchant",
    "merchant_form_expired": (
        "This form has expired or did not come from this site: go back, reload and try again."
    ),
    "not_found": "Not found: not one of your terminals or codes.",
    "just_replaced": "The code was just replaced: reload the page.",
    "no_chinese_font": "The server has no Chinese font for PNG posters yet: download the SVG one.",
    "terminal": "Terminal",
    "terminal_named": "Terminal {terminal_id}",
    "my_terminals": "My terminals",
    "no_code_yet": "No printed code yet",
    "make_code": "Make a code",
    "printed_code": "Printed code",
    "created": "Created",
    "scans": "Scans",
    "poster": "Poster",
    "replace_code": "Replace code",
    "replace_warning": "The old poster stops working at once; print the new one.",
    "replace_confirm": "Yes, replace",
    "revoke": "Revoke",
    "revoke_warning": "Customers scanning this poster will no longer reach the assistant.",
    "revoke_confirm": "Yes, revoke",
    "no_terminals": "No terminals yet: ask the bank to add them.",
    "done_made": "Terminal {t} has a code now: download and print its poster.",
    "done_replaced": "Terminal {t} has a new code: the old poster no longer works; print the new one.",
    "done_revoked": "The code of terminal {t} no longer works.",
    "counter_code": "Counter code",
    "counter_hint": (
        "A payment failed but the money was taken: enter it and let the customer scan; "
        "the assistant then already knows the amount and time."
    ),
    "amount_yuan": "Amount (yuan)",
    "payment_time": "Payment time",
    "valid_for_hours": "Valid for (hours)",
    "make_counter_code": "Make counter code",
    "code_revoked": "This code has been revoked",
    "code_expired": "This code has expired",
    "scan_with_phone": "Scan with your phone",
    "paid_at": "Paid at",
    "valid_until": "Valid until",
    "no_counter_code": "No counter code: {reason}.",
    "recent_counter_codes": "Recent counter codes",
    "recent_counter_hint": (
        "Made in the last {days} days, newest first, at most {limit}. "
        "Open one to let the customer scan it again."
    ),
    "no_recent_counter_codes": "No counter codes made in the last {days} days.",
    "code_active": "Active",
    "code_state_expired": "Expired",
    "code_state_revoked": "Revoked",
    "open_code": "Open",
    # --- the counter form's problems
    "choose_terminal": "Choose one of your terminals.",
    "enter_amount": "Enter the amount, e.g. 128.50.",
    "amount_above_zero": "The amount must be above zero.",
    "amount_too_precise": "The amount can have at most 2 decimal places.",
    "amount_not_a_number": "The amount must be a number in yuan, e.g. 128.50.",
    "amount_too_high": "Above ¥{limit:,.2f} the assistant cannot take the case; call the bank.",
    "enter_time": "Enter the time of the payment.",
    "time_unreadable": "The payment time is not a date and time.",
    "time_in_future": "The payment time cannot be in the future.",
    "time_too_old": "More than {days} days ago: the assistant cannot take the case.",
    "hours_out_of_range": "Valid for: more than 0 and at most {limit:g} hours.",
    # --- the support console
    "support_sign_in": "Support sign-in",
    "support_console": "Support console",
    "support_form_expired": "This form has expired: reload and try again.",
    "waiting_conversations": "Waiting conversations",
    "nobody_waiting": "Nobody is waiting.",
    "mine": "Mine",
    "reply_to_customer": "Reply to the customer",
    "send": "Send",
    "ticket": "Ticket",
    "status": "Status",
    "unchanged": "Unchanged",
    "note": "Note",
    "update_ticket": "Update ticket",
    "resolution_note": "Resolution note",
    "resolve": "Resolve, back to bot",
    "hand_back": "Hand back to bot",
    # --- the support console's JSON API
    "api_signed_out": "Please sign in first",
    "api_csrf": "Reload the page and try again",
    "api_not_found": "No such conversation",
    "api_already_taken": "Already taken by another agent",
    "api_not_held": "Take the conversation first",
    "api_claim_unavailable": "Try again in a moment",
    "api_closed": "This conversation is over",
    "api_bad_text": "1 to 2000 characters",
    "api_not_sent": "Not sent: try again",
    "api_no_ticket": "This conversation has no ticket",
    "api_bad_status": "Not a ticket status",
    "api_empty": "Give a status or a note",
    "api_transition": "The ticket cannot take that status",
    "api_not_back": "Finished; the bot is not back yet",
    "finished_handed_back": "Back to the bot",
    "finished_resolved": "Resolved, back to the bot",
    "finished_ticket_settled": "Resolved, back to the bot; ticket {ticket} is marked resolved",
    "finished_ticket_kept": (
        "Resolved, back to the bot; ticket {ticket} stays {status}, the resolution is in its history"
    ),
}


def pair(key: str, **values: object) -> tuple[str, str]:
    """One text in Chinese and in English, with its values filled in."""
    return ZH[key].format(**values), EN[key].format(**values)


def joined(key: str, **values: object) -> str:
    """Both languages in one line, for the console's JSON answers: "中文 · English"."""
    zh, en = pair(key, **values)
    return f"{zh} · {en}"
