"""Talk to the running assistant from a terminal, over the contract's REST channel (with the Rasa
token: the environment's RASA_TOKEN, else the local profile's, as bot.config reads it)."""

from __future__ import annotations

import argparse
import uuid

import httpx

from bot import config


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
    port = config.integer("RASA_PORT")
    parser.add_argument("--url", default=f"http://127.0.0.1:{port}/webhooks/rest/webhook")
    parser.add_argument("--sender", default=f"cli-{uuid.uuid4().hex[:8]}")
    parser.add_argument("--token", help="the Rasa token (default: RASA_TOKEN as the assistant reads it)")
    args = parser.parse_args()
    token = args.token or config.text("RASA_TOKEN")
    print(f"Conversation {args.sender}. Type a message; /quit ends.")
    with httpx.Client(params={"token": token}, timeout=60) as client:
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
