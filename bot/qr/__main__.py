"""`python -m bot.qr`: operators manage merchant accounts, terminals and their QR codes.

python -m bot.qr add-merchant 898290054990001 "全家便利店(徐汇店)" familymart-xuhui   # asks for a password
python -m bot.qr disable-merchant 898290054990001     # its staff are signed out at once; codes keep working
python -m bot.qr enable-merchant 898290054990001
python -m bot.qr reset-merchant-password 898290054990001   # signed out everywhere; asks for a password
python -m bot.qr add-terminal 898290054990001 10293847 --label "收银台 1"
python -m bot.qr terminal-code 10293847              # a new printed code (the old one stops working)
python -m bot.qr counter-code 10293847 --amount 128.50 --time "2026-11-26 14:05" --hours 24
python -m bot.qr revoke <token>
python -m bot.qr list 898290054990001
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from bot.case_store import CaseDatabase
from bot.case_store.errors import CaseStoreError
from bot.case_store.merchants import MerchantDirectory, MerchantError
from bot.case_store.qr_models import QrCode
from bot.config import PROJECT_ROOT
from bot.qr.codes import landing_url, make_code, png
from bot.qr.counter_codes import counter_code_hours, parse_local_time
from bot.qr.poster import poster_png, poster_svg


def describe(code: QrCode) -> str:
    url = landing_url(code.token)
    state = (
        "revoked"
        if code.revoked_at
        else f"expires {code.expires_at:%Y-%m-%d %H:%M} UTC"
        if code.expires_at
        else "active"
    )
    facts = f"  ¥{code.amount} at {code.transaction_time.isoformat()}" if code.kind == "counter" else ""
    owner = f"terminal {code.terminal_id} ({code.merchant_name})"
    version = make_code(url).designator
    return f"{code.kind} code for {owner}: {state}, {code.scans} scans{facts}\n  {url}\n  QR {version}"


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise MerchantError("the passwords differ")
    return first


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.qr", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--url", help="case store URL (default CASE_STORE_URL)")
    commands = parser.add_subparsers(dest="command", required=True)
    merchant = commands.add_parser("add-merchant", help="a merchant account (its staff sign in with it)")
    merchant.add_argument("merchant_id")
    merchant.add_argument("name")
    merchant.add_argument("login")
    merchant.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    disable = commands.add_parser(
        "disable-merchant", help="its staff can no longer sign in; signed out at once"
    )
    disable.add_argument("merchant_id")
    enable = commands.add_parser("enable-merchant", help="a disabled merchant's staff may sign in again")
    enable.add_argument("merchant_id")
    reset = commands.add_parser(
        "reset-merchant-password", help="a new password; signed out everywhere at once"
    )
    reset.add_argument("merchant_id")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    terminal = commands.add_parser("add-terminal", help="a terminal of a merchant")
    terminal.add_argument("merchant_id")
    terminal.add_argument("terminal_id")
    terminal.add_argument("--label")
    printed = commands.add_parser("terminal-code", help="a new printed code and its poster")
    printed.add_argument("terminal_id")
    printed.add_argument(
        "--out", type=Path, default=PROJECT_ROOT / "var" / "qr", help="where the poster goes"
    )
    counter = commands.add_parser("counter-code", help="a code for one failed payment, shown at the counter")
    counter.add_argument("terminal_id")
    counter.add_argument("--amount", required=True)
    counter.add_argument("--time", required=True, help='e.g. "2026-11-26 14:05" (business time zone)')
    counter.add_argument("--hours", type=float, default=None, help="valid for (QR_COUNTER_CODE_HOURS, 24)")
    counter.add_argument("--out", type=Path, default=PROJECT_ROOT / "var" / "qr")
    revoke = commands.add_parser("revoke", help="a code stops working")
    revoke.add_argument("token")
    listing = commands.add_parser("list", help="a merchant's terminals and their codes")
    listing.add_argument("merchant_id")
    args = parser.parse_args(argv)

    database = CaseDatabase(args.url)
    directory = MerchantDirectory(database)
    try:
        if args.command == "add-merchant":
            added = directory.add_merchant(args.merchant_id, args.name, args.login, _password(args))
            print(f"merchant {added.merchant_id} ({added.name}), sign-in {added.login}")
        elif args.command == "disable-merchant":
            ended = directory.disable(args.merchant_id)
            print(f"merchant {args.merchant_id} disabled; sessions ended: {ended}; its codes keep working")
        elif args.command == "enable-merchant":
            directory.enable(args.merchant_id)
            print(f"merchant {args.merchant_id} can sign in again at /merchant/login")
        elif args.command == "reset-merchant-password":
            ended = directory.reset_password(args.merchant_id, _password(args))
            print(f"merchant {args.merchant_id} has a new password; sessions ended: {ended}")
        elif args.command == "add-terminal":
            added_terminal = directory.add_terminal(args.merchant_id, args.terminal_id, args.label)
            print(f"terminal {added_terminal.terminal_id} of merchant {added_terminal.merchant_id}")
        elif args.command == "terminal-code":
            code = directory.issue_terminal_code(args.terminal_id)
            url = landing_url(code.token)
            args.out.mkdir(parents=True, exist_ok=True)
            stem = args.out / f"poster-{code.terminal_id}-{code.token[:6]}"
            stem.with_suffix(".svg").write_bytes(poster_svg(url, code.merchant_name, code.terminal_id))
            stem.with_suffix(".png").write_bytes(poster_png(url, code.merchant_name, code.terminal_id))
            print(describe(code))
            print(f"  poster: {stem}.png, {stem}.svg")
        elif args.command == "counter-code":
            hours = args.hours if args.hours is not None else counter_code_hours()
            code = directory.issue_counter_code(
                args.terminal_id, Decimal(args.amount), parse_local_time(args.time), timedelta(hours=hours)
            )
            args.out.mkdir(parents=True, exist_ok=True)
            image = args.out / f"counter-{code.terminal_id}-{code.token[:6]}.png"
            image.write_bytes(png(landing_url(code.token), scale=10))
            print(describe(code))
            print(f"  image: {image}")
        elif args.command == "revoke":
            print(describe(directory.revoke(args.token.strip().upper())))
        elif args.command == "list":
            for found, current in directory.terminals(args.merchant_id):
                print(f"{found.terminal_id}  {found.label or ''}")
                print("  " + (describe(current).replace("\n", "\n  ") if current else "no printed code yet"))
    except (CaseStoreError, ValueError, InvalidOperation) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        database.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
