"""The offline intent classifier on utterances it was not given (held out of intents.jsonl)."""

from __future__ import annotations

from graph.chat.intents import CLARIFY_BELOW, INTENTS, IntentClassifier, load_examples

HELD_OUT = {
    "has order #W4082615 left the warehouse?": "order_status",
    "when will order #W2611340 arrive?": "order_status",
    "tracking for #W3632959 please": "order_status",
    "please cancel #W6247578, they bought it by mistake": "cancel_order",
    "the customer would like to cancel their order": "cancel_order",
    "can we send back the chair from #W4435622?": "return_items",
    "the customer wants to return the water bottle": "return_items",
    "customer email is mia.garcia@example.com": "identify",
    "first name Mei last name Ahmed zip 43197": "identify",
    "how many days does a customer have to return an item?": "policy_question",
    "how long does delivery take?": "policy_question",
    "what is the cancellation policy?": "policy_question",
    "are refunds paid to the original card?": "policy_question",
    "which orders does this customer have?": "customer_profile",
    "connect me with a human please": "human_agent",
    "good afternoon": "greeting",
}


def test_every_intent_has_examples_and_a_home() -> None:
    examples = load_examples()
    assert {e.intent for e in examples} == set(INTENTS)
    assert len({e.text for e in examples}) == len(examples), "duplicate utterances"
    assert not set(HELD_OUT) & {e.text for e in examples}


def test_held_out_utterances_are_classified_confidently() -> None:
    classifier = IntentClassifier.shipped()
    guesses = {text: classifier.classify(text) for text in HELD_OUT}
    wrong = {t: g.intent for t, g in guesses.items() if g.intent != HELD_OUT[t]}
    assert len(wrong) <= len(HELD_OUT) // 8, wrong
    unsure = [t for t, g in guesses.items() if g.confidence < CLARIFY_BELOW]
    assert len(unsure) <= len(HELD_OUT) // 8, unsure


def test_gibberish_is_below_the_clarifying_threshold() -> None:
    classifier = IntentClassifier.shipped()
    for text in ("banana", "hmm, not sure really", "", "!!!"):
        assert classifier.classify(text).confidence < CLARIFY_BELOW, text
