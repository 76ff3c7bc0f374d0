"""Talk to the running assistant from a terminal, over the contract's REST channel."""

from __future__ import annotations

import argparse
import os
import uuid

import httpx


def _show(reply: dict) -> None:
    if "text" in reply:
        print(f"bot> {reply['text']}")
    for button in reply.get("buttons", []):
        print(f"     [{button['title']}]  type: {button['payload']}")
    if "custom" in reply:
        print(f"bot> (payload) {reply['custom']}")


def main() -> None:
    """Read lines, send them, print the replies, until EOF or /quit."""
    parser = argparse.ArgumentParser(description=__doc__)
    port = os.environ.get("RASA_PORT", "5005")
    parser.add_argument("--url", default=f"http://127.0.0.1:{port}/webhooks/rest/webhook")
    parser.add_argument("--sender", default=f"cli-{uuid.uuid4().hex[:8]}")
    args = parser.parse_args()
    print(f"Conversation {args.sender}. Type a message; /quit ends.")
    with httpx.Client(timeout=60) as client:
        while True:
            try:
                message = input("you> ").strip()
            except EOFError:
                break
            if message == "/quit":
                break
            if not message:
                continue
            response = client.post(args.url, json={"sender": args.sender, "message": message})
            response.raise_for_status()
            for reply in response.json():
                _show(reply)


if __name__ == "__main__":
    main()
