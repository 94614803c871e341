package dev.kefu.agent.notify;

/**
 * Something the agent must not miss.
 *
 * @param conv          the conversation it is about; null for {@link Kind#SUMMARY}
 * @param visitor       the visitor's shown name; null for a summary
 * @param text          the message text for {@link Kind#MESSAGE}; for {@link Kind#CONTACT} the name, phone and
 *                      email left (else the form's text); null otherwise
 * @param waitedSeconds how long the visitor has waited, for {@link Kind#STILL_WAITING}
 * @param count         alerts held back by the rate limit, for {@link Kind#SUMMARY}
 */
public record Alert(Kind kind, String conv, String visitor, String text, long waitedSeconds, int count) {

    public enum Kind {
        /** A new conversation is waiting for an agent. */
        NEW_VISITOR,
        /** A message was left while no agent was online (a new {@code offline} conversation). */
        LEFT_MESSAGE,
        /** A visitor wrote in a conversation that is not in front of the agent. */
        MESSAGE,
        /** A visitor left contact details (the widget's form) in a conversation that is not in front of the agent. */
        CONTACT,
        /** A visitor is still waiting, unanswered, after the re-alert period. */
        STILL_WAITING,
        /** Several alerts came at once; the others were held back. */
        SUMMARY
    }
}
