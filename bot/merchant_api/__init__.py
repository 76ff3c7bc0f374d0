"""Client of the merchant's (or acquirer's) transaction API; its OpenAPI description is openapi.yaml."""

from __future__ import annotations

from pathlib import Path

from bot.merchant_api.client import MerchantAPI
from bot.merchant_api.errors import (
    MerchantAPIError,
    MerchantAPINotFound,
    MerchantAPIRejected,
    MerchantAPIUnavailable,
)
from bot.merchant_api.models import RefundRequest, ReversalRequest, SearchQuery, Transaction

OPENAPI_PATH = Path(__file__).with_name("openapi.yaml")

__all__ = [
    "OPENAPI_PATH",
    "MerchantAPI",
    "MerchantAPIError",
    "MerchantAPINotFound",
    "MerchantAPIRejected",
    "MerchantAPIUnavailable",
    "RefundRequest",
    "ReversalRequest",
    "SearchQuery",
    "Transaction",
]
