import time

from itsdangerous import TimestampSigner

from bot.web.sessions import ConversationSessions


def test_a_token_names_the_conversation_it_was_made_for() -> None:
    sessions = ConversationSessions("secret", max_age_days=30)
    conversation_id = sessions.new_conversation_id()
    assert sessions.conversation_of(sessions.token_for(conversation_id)) == conversation_id


def test_conversation_ids_are_long_and_random() -> None:
    ids = {ConversationSessions.new_conversation_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) >= 20 for i in ids)


def test_a_bare_or_altered_id_opens_nothing() -> None:
    sessions = ConversationSessions("secret", max_age_days=30)
    conversation_id = sessions.new_conversation_id()
    token = sessions.token_for(conversation_id)
    other = sessions.new_conversation_id()
    assert sessions.conversation_of(conversation_id) is None
    assert sessions.conversation_of(token.replace(conversation_id, other)) is None
    # The signature's first character, not its last: base64's last character carries
    # padding bits a decoder ignores, so changing it may leave the signature intact.
    signature_start = token.rindex(".") + 1
    flipped = "A" if token[signature_start] != "A" else "B"
    altered = token[:signature_start] + flipped + token[signature_start + 1 :]
    assert sessions.conversation_of(altered) is None
    assert sessions.conversation_of(None) is None
    assert sessions.conversation_of({"id": conversation_id}) is None
    assert sessions.conversation_of("x" * 10_000) is None


def test_a_token_signed_with_another_secret_is_refused() -> None:
    ours = ConversationSessions("ours", max_age_days=30)
    theirs = ConversationSessions("theirs", max_age_days=30)
    assert ours.conversation_of(theirs.token_for("web-abc")) is None


def test_an_old_token_has_expired() -> None:
    sessions = ConversationSessions("secret", max_age_days=1)
    old = TimestampSigner("secret", salt="chat-conversation")
    two_days_ago = int(time.time()) - 2 * 86400
    old.get_timestamp = lambda: two_days_ago  # type: ignore[method-assign]
    assert sessions.conversation_of(old.sign("web-abc").decode()) is None
