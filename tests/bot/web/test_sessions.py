import time

from itsdangerous import TimestampSigner

from bot.web.sessions import ConversationSessions

DAY = 86400


class Clock:
    def __init__(self, now: float = 1_790_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_token_names_the_conversation_it_was_made_for() -> None:
    sessions = ConversationSessions("secret", max_age_days=30)
    conversation = sessions.start()
    assert conversation.id.startswith("web-")
    assert sessions.opened(conversation.token) == conversation


def test_conversation_ids_are_long_and_random() -> None:
    ids = {ConversationSessions.new_conversation_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) >= 20 for i in ids)


def test_a_bare_or_altered_id_opens_nothing() -> None:
    sessions = ConversationSessions("secret", max_age_days=30)
    conversation = sessions.start()
    token = conversation.token
    other = sessions.new_conversation_id()
    assert sessions.opened(conversation.id) is None
    assert sessions.opened(token.replace(conversation.id, other)) is None
    # The signature's first character, not its last: base64's last character carries
    # padding bits a decoder ignores, so changing it may leave the signature intact.
    signature_start = token.rindex(".") + 1
    flipped = "A" if token[signature_start] != "A" else "B"
    altered = token[:signature_start] + flipped + token[signature_start + 1 :]
    assert sessions.opened(altered) is None
    assert sessions.opened(None) is None
    assert sessions.opened({"id": conversation.id}) is None
    assert sessions.opened("x" * 10_000) is None


def test_a_token_signed_with_another_secret_is_refused() -> None:
    ours = ConversationSessions("ours", max_age_days=30)
    theirs = ConversationSessions("theirs", max_age_days=30)
    assert ours.opened(theirs.start().token) is None


def test_a_conversation_lives_for_a_fixed_time_from_its_start() -> None:
    clock = Clock()
    sessions = ConversationSessions("secret", max_age_days=30, clock=clock)
    conversation = sessions.start()
    assert conversation.started == clock.now
    clock.now += 30 * DAY - 1
    opened = sessions.opened(conversation.token)
    assert opened == conversation and not sessions.expired(opened)
    assert sessions.remaining_seconds(opened) == 1
    clock.now += 1
    assert sessions.expired(sessions.opened(conversation.token))  # genuine, but over


def test_an_old_token_has_expired() -> None:
    sessions = ConversationSessions("secret", max_age_days=1)
    old = TimestampSigner("secret", salt="chat-conversation")
    two_days_ago = int(time.time()) - 2 * DAY
    old.get_timestamp = lambda: two_days_ago  # type: ignore[method-assign]
    conversation = sessions.opened(old.sign("web-abc").decode())
    assert conversation is not None and conversation.started == two_days_ago
    assert sessions.expired(conversation)
