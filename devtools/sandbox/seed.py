"""The transactions the sandbox serves: the contract's CSV, read and checked, and the seed file.

The seed file (`seed_transactions.csv`, used when SANDBOX_TRANSACTIONS is unset) holds 81 payments at
28 merchants (35 terminals) in Shanghai, Beijing, Guangzhou, Shenzhen, Hangzhou and Chengdu over ten
days; its times are shifted on load so that the newest is about an hour old (SANDBOX_SHIFT_TO_NOW).
All amounts in yuan; every row has an RRN (参考号) and a 凭证号 unless said otherwise.

| id      | code | terminal/reversal/settlement | amount   | TID      | card  | demonstrates                 |
|---------|------|------------------------------|----------|----------|-------|------------------------------|
| TXN0001 | 51   | failed/none/unsettled        | 86.40    | 31570042 | 6217  | declined: insufficient funds |
| TXN0002 | 05   | failed/none/unsettled        | 23.50    | 20481736 | 4392W | declined: do not honour      |
| TXN0003 | 55   | failed/none/unsettled        | 215.80   | 11045602 | 0817  | declined: wrong PIN          |
| TXN0004 | 00   | failed/completed/unsettled   | 342.60   | 21450330 | 5528  | reversal completed           |
| TXN0005 | 00   | failed/pending/unsettled     | 128.50   | 10293847 | 3821  | reversal pending (全家徐汇)  |
| TXN0006 | 00   | failed/failed/settled        | 300.00   | 60218877 | 7756C | reversal failed              |
| TXN0007 | 00   | failed/none/settled          | 486.00   | 73311001 | 5412N | approved, no reversal        |
| TXN0008 | 00   | failed/failed/settled        | 260.00   | 13650071 | 4417  | duplicate: the "failed" one  |
| TXN0009 | 00   | completed/none/settled       | 260.00   | 13650071 | 4417  | ...paid again 3.5 min later  |
| TXN0010 | 00   | completed/none/settled       | 45.50    | 32004410 | 4023V | duplicate: two completed     |
| TXN0011 | 00   | completed/none/settled       | 45.50    | 32004410 | 4023V | ...debits 2.5 min apart      |
| TXN0012 | 00   | completed/none/settled       | 38.00    | 41837203 | 2291C | completed normally           |
| TXN0013 | 68   | failed/pending/unsettled     | 199.90   | 5A7C3E91 | 6608  | timeout; no RRN              |
| TXN0014 | 98   | failed/pending/unsettled     | 158.00   | 15230017 | 1386C | timeout; no RRN, no 凭证号   |
| TXN0015 | 00   | failed/pending/unsettled     | 6999.00  | 42210057 | 9902C | above 5000: escalate         |
| TXN0016 | 00   | failed/failed/settled        | 12800.00 | 42210057 | 3345  | above 5000, reversal failed  |
| TXN0017 | 00   | completed/none/settled       | 50.00    | 31570043 | 6622  | 4 candidates in 4 minutes:   |
| TXN0018 | 00   | failed/pending/unsettled     | 50.00    | 31570043 | 9035  | the customer's one           |
| TXN0019 | 51   | failed/none/unsettled        | 50.00    | 31570043 | 4410W | a decline                    |
| TXN0020 | 00   | completed/none/settled       | 50.00    | 31570043 | 7781N | someone else's sale          |
| TXN0021 | 91   | failed/none/unsettled        | 312.00   | 23907715 | 2705  | issuer unavailable           |
| TXN0022 | 96   | failed/none/unsettled        | 67.30    | 51002237 | 8864  | system malfunction           |
| TXN0023 | A0   | failed/completed/unsettled   | 425.70   | 31208847 | 1173  | MAC error, reversed          |
| TXN0024 | 06   | failed/completed/unsettled   | 89.00    | 24118802 | 6039C | refused after approval       |
| TXN0025 | 00   | completed/none/settled       | 156.20   | 52338410 | 3190  | paid once...                 |
| TXN0026 | 94   | failed/none/unsettled        | 156.20   | 52338410 | 3190  | ...duplicate transmission    |
| TXN0027 | 00   | completed/none/refunded      | 98.60    | 34420196 | 5216  | already refunded             |
| TXN0028 | 00   | failed/completed/unsettled   | 35.00    | 12870094 | 8830W | Visa credit, reversed        |
| TXN0029 | 00   | failed/pending/unsettled     | 268.00   | 14002389 | 2468N | Mastercard credit, pending   |
| TXN0030 | 00   | failed/pending/unsettled     | 20.00    | P9004521 | 7317  | parking; letters in the TID  |
| TXN0031 | 00   | completed/none/settled       | 135.00   | 1T3P0088 | 6411C | parking, completed           |
| TXN0032 | 00   | completed/none/settled       | 12.80    | 22019874 | 3057M | Mastercard debit             |
| TXN0033 | 00   | completed/none/unsettled     | 42.00    | 41837203 | 2291C | the newest row               |

Card: last 4, then C = UnionPay credit, V = Visa debit, W = Visa credit, M = Mastercard debit,
N = Mastercard credit; no letter = UnionPay debit. TXN0008/9, TXN0010/11 and TXN0025/26 are the
same card at the same terminal. Merchants: 31570042/3 联华超市(长宁店), 10293847 全家便利店(徐汇店),
42210057 苏宁易购(杭州解放路店), 41837203 星巴克(杭州西湖银泰店), 13650071 中国石油加油站(京承高速站),
32004410 麦当劳(深圳南山店), P9004521 上海久事停车场(虹桥枢纽P9); the CSV names every one.

TXN0101–TXN0148 are ordinary traffic (mostly completed, some 05/51/55 declines) at the same merchants,
including 全家便利店(人民广场店), so that "全家" matches two shops. Before the shift the newest row
(TXN0033) is 2025-11-25T20:47:19+08:00; relative spacing is kept exactly.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from bot.merchant_api.models import (
    CARD_TYPES,
    NETWORKS,
    REVERSAL_STATUSES,
    SETTLEMENT_STATUSES,
    TERMINAL_RESULTS,
    Transaction,
    parse_amount,
    parse_datetime,
)

SEED_CSV = Path(__file__).with_name("seed_transactions.csv")
CONTRACT_HEADER = [
    "transaction_id",
    "merchant_id",
    "merchant_name",
    "terminal_id",
    "card_last4",
    "card_type",
    "network",
    "amount",
    "currency",
    "created_at",
    "response_code",
    "terminal_result",
    "reversal_status",
    "settlement_status",
]
OPTIONAL_COLUMNS = ["rrn", "voucher_no"]
_TERMINAL_ID = re.compile(r"[0-9A-Za-z]{8}")
_LAST4 = re.compile(r"[0-9]{4}")
_RRN = re.compile(r"[0-9A-Za-z]{12}")
_VOUCHER = re.compile(r"[0-9]{6}")
_RESPONSE_CODE = re.compile(r"[0-9A-Z]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")


def read_transactions(path: Path) -> list[Transaction]:
    """Read a CSV of the contract (optionally with trailing rrn,voucher_no); ValueError names the line."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return parse_transactions(handle, str(path))


def parse_transactions(lines: Iterable[str], path: str = "<csv>") -> list[Transaction]:
    """Parse CSV lines of the contract (see read_transactions); ValueError names the line."""
    reader = csv.reader(lines)
    header = [name.strip() for name in next(reader, [])]
    if header not in (CONTRACT_HEADER, CONTRACT_HEADER + OPTIONAL_COLUMNS):
        raise ValueError(
            f"{path}: the header must be {','.join(CONTRACT_HEADER)} "
            f"(optionally followed by {','.join(OPTIONAL_COLUMNS)}), not {','.join(header)}"
        )
    transactions: list[Transaction] = []
    seen: set[str] = set()
    for line, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            raise ValueError(f"{path}:{line}: {len(values)} fields, the header has {len(header)}")
        try:
            transaction = _transaction_from_row(dict(zip(header, values, strict=True)))
        except ValueError as exc:
            raise ValueError(f"{path}:{line}: {exc}") from None
        if transaction.transaction_id in seen:
            raise ValueError(f"{path}:{line}: transaction_id {transaction.transaction_id} repeats")
        seen.add(transaction.transaction_id)
        transactions.append(transaction)
    return transactions


def _transaction_from_row(row: dict[str, str]) -> Transaction:
    row = {name: value.strip() for name, value in row.items()}
    for name in ("transaction_id", "merchant_id", "merchant_name"):
        if not row[name]:
            raise ValueError(f"{name} is empty")
    checks = {
        "terminal_id": _TERMINAL_ID,
        "card_last4": _LAST4,
        "currency": _CURRENCY,
        "response_code": _RESPONSE_CODE,
    }
    for name, pattern in checks.items():
        if not pattern.fullmatch(row[name]):
            raise ValueError(f"{name} {row[name]!r} is malformed")
    choices = {
        "card_type": CARD_TYPES,
        "network": NETWORKS,
        "terminal_result": TERMINAL_RESULTS,
        "reversal_status": REVERSAL_STATUSES,
        "settlement_status": SETTLEMENT_STATUSES,
    }
    for name, allowed in choices.items():
        if row[name] not in allowed:
            raise ValueError(f"{name} must be one of {sorted(allowed)}, not {row[name]!r}")
    rrn, voucher = row.get("rrn") or None, row.get("voucher_no") or None
    if rrn is not None and not _RRN.fullmatch(rrn):
        raise ValueError(f"rrn {rrn!r} is not 12 letters or digits")
    if voucher is not None and not _VOUCHER.fullmatch(voucher):
        raise ValueError(f"voucher_no {voucher!r} is not 6 digits")
    return Transaction(
        transaction_id=row["transaction_id"],
        merchant_id=row["merchant_id"],
        merchant_name=row["merchant_name"],
        terminal_id=row["terminal_id"].upper(),
        card_last4=row["card_last4"],
        card_type=row["card_type"],  # type: ignore[arg-type]
        network=row["network"],  # type: ignore[arg-type]
        amount=parse_amount(row["amount"]),
        currency=row["currency"],
        created_at=parse_datetime(row["created_at"]),
        response_code=row["response_code"],
        terminal_result=row["terminal_result"],  # type: ignore[arg-type]
        reversal_status=row["reversal_status"],  # type: ignore[arg-type]
        settlement_status=row["settlement_status"],  # type: ignore[arg-type]
        rrn=rrn.upper() if rrn else None,
        voucher_no=voucher,
    )


def shift_to_now(
    transactions: Sequence[Transaction], now: datetime, lead: timedelta = timedelta(hours=1)
) -> list[Transaction]:
    """Move every time by one whole-minute shift so that the newest is about `lead` before `now`."""
    if not transactions:
        return []
    newest = max(t.created_at for t in transactions)
    shift = now - lead - newest
    shift -= timedelta(seconds=shift.total_seconds() % 60)  # whole minutes keep the seed's seconds
    return [replace(t, created_at=t.created_at + shift) for t in transactions]
