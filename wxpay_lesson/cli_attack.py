"""`python -m wxpay_lesson attack`: list the attack catalogue or launch one attack on loopback.

    python -m wxpay_lesson attack --list
    python -m wxpay_lesson attack NAME --target http://127.0.0.1:PORT/notify [--json]

The target must be a literal loopback address (127.0.0.0/8 or ::1) or `localhost`;
anything else is rejected before a single byte is sent.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .attacks import AttackSetupError, Outcome, TargetNotLoopbackError, catalog, get_attack, launch
from .i18n import normalize_language

TEXTS: dict[str, dict[str, str]] = {
    "help": {
        "en": "list the forged-callback attacks, or launch one at your own merchant server on loopback",
        "zh-CN": "列出伪造回调攻击，或对本机上你自己的商户服务器发起一次攻击",
    },
    "not_loopback": {
        "en": "refusing target {url}: host {host} is not a loopback address. The attack lab only attacks a "
              "merchant server on this machine (127.0.0.0/8, ::1 or localhost). Start your own server and "
              "use http://127.0.0.1:PORT/notify.",
        "zh-CN": "拒绝目标 {url}：主机 {host} 不是回环地址。攻击实验只攻击本机上的商户服务器"
                 "（127.0.0.0/8、::1 或 localhost）。请先启动你自己的服务器，再使用 http://127.0.0.1:PORT/notify。",
    },
    "bad_target": {
        "en": "invalid target {url}: {reason}",
        "zh-CN": "目标 {url} 无效：{reason}",
    },
    "need_target": {
        "en": "give --target http://127.0.0.1:PORT/notify, the notify_url of your own merchant server",
        "zh-CN": "请用 --target http://127.0.0.1:PORT/notify 指定你自己的商户服务器的 notify_url",
    },
    "need_name": {
        "en": "name an attack, or use --list to see them",
        "zh-CN": "请指定攻击名称，或用 --list 查看全部攻击",
    },
    "unknown": {
        "en": "no attack named {name!r}; run with --list to see the names",
        "zh-CN": "没有名为 {name!r} 的攻击；用 --list 查看全部名称",
    },
    "unreachable": {
        "en": "could not reach {url}: {reason}. Is the merchant server running?",
        "zh-CN": "无法连接 {url}：{reason}。商户服务器是否已启动？",
    },
    "setup_failed": {
        "en": "the attack's setup failed: {reason}",
        "zh-CN": "攻击的准备步骤失败：{reason}",
    },
    "attack": {"en": "attack", "zh-CN": "攻击"},
    "has": {"en": "attacker has", "zh-CN": "攻击者拥有"},
    "verdict": {"en": "verdict", "zh-CN": "结果"},
    "status": {"en": "HTTP status", "zh-CN": "HTTP 状态码"},
    "code": {"en": "rejection code", "zh-CN": "拒绝代码"},
    "order": {"en": "order", "zh-CN": "订单"},
    "before": {"en": "before", "zh-CN": "攻击前"},
    "after": {"en": "after", "zh-CN": "攻击后"},
    "none": {"en": "(none)", "zh-CN": "（无）"},
    "log": {"en": "server log", "zh-CN": "服务器日志"},
    "from_reply": {
        "en": "{code} (read from the reply body; the server's own log names the exact code)",
        "zh-CN": "{code}（从应答报文推断；服务器日志中有准确的代码）",
    },
    "effect": {"en": "effect", "zh-CN": "影响"},
    "stopped_by": {"en": "defence that stops it", "zh-CN": "能阻止它的防御"},
}

VERDICT_TEXTS = {
    "rejected": {"en": "rejected", "zh-CN": "被拒绝"},
    "harmless": {"en": "harmless (accepted, no order changed)", "zh-CN": "无害（已接受，订单未变）"},
    "succeeded": {"en": "SUCCEEDED: an order changed", "zh-CN": "攻击成功：订单被改变"},
}


def text(key: str, lang: str, **values: Any) -> str:
    """Return one CLI message in `lang`, formatted with `values`."""
    return TEXTS[key][lang].format(**values)


def register(subparsers: Any) -> None:
    """Add the `attack` subcommand."""
    parser = subparsers.add_parser("attack", help=f"{TEXTS['help']['en']} / {TEXTS['help']['zh-CN']}",
                                   description=TEXTS["help"]["en"])
    parser.add_argument("name", nargs="?", help="the attack to launch; see --list")
    parser.add_argument("--list", action="store_true", help="list every attack and what the attacker has")
    parser.add_argument("--target", help="the merchant's notify_url on loopback, e.g. http://127.0.0.1:8000/notify")
    parser.add_argument("--json", action="store_true", help="print the result (or the list) as JSON")
    parser.add_argument("--now", type=int, default=None,
                        help="the Unix time in seconds that the target's verifier uses; default this machine's clock")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each reply (default 10)")
    parser.add_argument("--lang", default=None, help="message language: en or zh-CN (default from WXPAY_LESSON_LANG or LANG)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the attack subcommand and return the exit status."""
    try:
        lang = normalize_language(args.lang)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.list:
        return print_catalog(lang, as_json=args.json)
    if not args.name:
        print(text("need_name", lang), file=sys.stderr)
        return 2
    if not args.target:
        print(text("need_target", lang), file=sys.stderr)
        return 2
    try:
        get_attack(args.name)
    except KeyError:
        print(text("unknown", lang, name=args.name), file=sys.stderr)
        return 2

    try:
        outcome = launch(args.name, args.target, now=args.now, timeout=args.timeout)
    except TargetNotLoopbackError as exc:
        if exc.part == "host" and exc.host is not None:
            print(text("not_loopback", lang, url=args.target, host=exc.host), file=sys.stderr)
        else:
            print(text("bad_target", lang, url=args.target, reason=exc), file=sys.stderr)
        return 2
    except AttackSetupError as exc:
        print(text("setup_failed", lang, reason=exc), file=sys.stderr)
        return 1
    except OSError as exc:
        print(text("unreachable", lang, url=args.target, reason=exc), file=sys.stderr)
        return 1

    if args.json:
        print(json.dumps(outcome.to_json(), ensure_ascii=False, indent=2))
    else:
        print(describe_outcome(outcome, lang))
    return 0


def print_catalog(lang: str, *, as_json: bool) -> int:
    """Print every attack's name, title and what the attacker has."""
    attacks = catalog()
    if as_json:
        print(json.dumps([
            {
                "name": attack.name,
                "title": attack.title_in(lang),
                "attacker_has": [capability.value for capability in attack.has],
                "construction": attack.construction,
                "stopped_by": attack.stopped_by,
                "expected": attack.expected.value,
                "expected_code": attack.expected_code,
                "succeeds_without": list(attack.succeeds_without),
            }
            for attack in attacks
        ], ensure_ascii=False, indent=2))
        return 0
    width = max(len(attack.name) for attack in attacks)
    for attack in attacks:
        print(f"{attack.name.ljust(width)}  {attack.title_in(lang)}  [{text('has', lang)}: {attack.capability_text(lang)}]")
    return 0


def _code_text(outcome: Outcome, lang: str) -> str:
    if outcome.rejection_code is None:
        return text("none", lang)
    if outcome.code_source == "reply":
        return text("from_reply", lang, code=outcome.rejection_code)
    return outcome.rejection_code


def describe_outcome(outcome: Outcome, lang: str) -> str:
    """Return the outcome as the lines the CLI prints."""
    attack = get_attack(outcome.attack)
    lines = [
        f"{text('attack', lang)}: {attack.name} ({attack.title_in(lang)})",
        f"{text('has', lang)}: {attack.capability_text(lang)}",
        f"{text('verdict', lang)}: {VERDICT_TEXTS[outcome.verdict.value][lang]}",
        f"{text('status', lang)}: {outcome.status_text()}",
        f"{text('code', lang)}: {_code_text(outcome, lang)}",
    ]
    for number, before in outcome.before.items():
        after = outcome.after.get(number)
        lines.append(f"{text('order', lang)} {number}: {text('before', lang)} "
                     f"{before.describe() if before else text('none', lang)}; {text('after', lang)} "
                     f"{after.describe() if after else text('none', lang)}")
    for effect in outcome.effects:
        lines.append(f"{text('effect', lang)}: {effect}")
    lines.append(f"{text('stopped_by', lang)}: {attack.stopped_by}")
    if outcome.server_log_line:
        lines.append(f"{text('log', lang)}: {outcome.server_log_line}")
    return "\n".join(lines)
