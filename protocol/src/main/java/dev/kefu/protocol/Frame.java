package dev.kefu.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.annotation.OptBoolean;

import java.util.List;
import java.util.Map;

/**
 * One frame of the Kefu wire protocol: a JSON object whose string field {@code type} names it.
 * Every frame that crosses a process boundary is one of the records nested here; {@link FrameCodec}
 * turns them into JSON text and back. Optional fields are {@code null} and left out of the JSON.
 *
 * <pre>{@code
 * Frame f = new Frame.Send("c-1", null, MessageKind.TEXT, "你好", null);
 * String json = FrameCodec.encode(f);   // {"type":"send","cid":"c-1","kind":"text","body":"你好"}
 * }</pre>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
// requireTypeIdForSubtypes: a frame record held in a field of its own type (ConvInfo.contact) needs
// no "type" to be read; a frame read as a Frame still does.
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type",
        requireTypeIdForSubtypes = OptBoolean.FALSE)
@JsonSubTypes({
        @JsonSubTypes.Type(Frame.Hello.class), @JsonSubTypes.Type(Frame.Welcome.class),
        @JsonSubTypes.Type(Frame.Send.class), @JsonSubTypes.Type(Frame.Ack.class),
        @JsonSubTypes.Type(Frame.Msg.class), @JsonSubTypes.Type(Frame.Sync.class),
        @JsonSubTypes.Type(Frame.Msgs.class), @JsonSubTypes.Type(Frame.PageView.class),
        @JsonSubTypes.Type(Frame.VisitorEvent.class), @JsonSubTypes.Type(Frame.VisitorList.class),
        @JsonSubTypes.Type(Frame.Typing.class), @JsonSubTypes.Type(Frame.Read.class),
        @JsonSubTypes.Type(Frame.Accept.class), @JsonSubTypes.Type(Frame.Transfer.class),
        @JsonSubTypes.Type(Frame.Close.class), @JsonSubTypes.Type(Frame.Invite.class),
        @JsonSubTypes.Type(Frame.ConvUpdate.class), @JsonSubTypes.Type(Frame.Ping.class),
        @JsonSubTypes.Type(Frame.Pong.class), @JsonSubTypes.Type(Frame.Error.class),
        @JsonSubTypes.Type(Frame.QueueUpdate.class), @JsonSubTypes.Type(Frame.Service.class),
        @JsonSubTypes.Type(Frame.AgentStatus.class), @JsonSubTypes.Type(Frame.AgentList.class),
        @JsonSubTypes.Type(Frame.Contact.class), @JsonSubTypes.Type(Frame.Note.class),
        @JsonSubTypes.Type(Frame.Recall.class), @JsonSubTypes.Type(Frame.Recalled.class),
        @JsonSubTypes.Type(Frame.Rate.class), @JsonSubTypes.Type(Frame.QuickReplies.class)
})
public sealed interface Frame {

    /**
     * First frame of every connection. A visitor names its {@code site} and itself; an agent
     * gives the {@code token} from {@code /api/login}. {@code resume} maps each conversation the
     * client holds to the seq below which it holds every message; Kefu clients add {@code epoch},
     * the {@link Welcome#epoch()} those seqs were received under: a relay whose epoch differs ignores
     * the {@code resume} and replays as to a new client.
     * <pre>{@code new Frame.Hello(Role.AGENT, null, token, null, Map.of("c1", 17L), null)}</pre>
     */
    @JsonTypeName("hello")
    record Hello(String role, String site, String token, VisitorInfo visitor,
                 Map<String, Long> resume, ClientInfo client, String epoch) implements Frame {
        public Hello(String role, String site, String token, VisitorInfo visitor,
                     Map<String, Long> resume, ClientInfo client) {
            this(role, site, token, visitor, resume, client, null);
        }
    }

    /**
     * The relay's answer to {@code hello}: the session id, who the client is, the conversations it
     * may see and the heartbeat period in seconds. Kefu relays add {@code recallWindowMs}, how long
     * after sending a message its sender may recall it (null from older relays: assume two minutes),
     * and {@code cidEcho}, true when the relay echoes the {@code cid} of {@link Contact}, {@link Rate}
     * and {@link Recall} in its answers (null from older relays: their refusals name no cid), and
     * {@code epoch}, the id of the store's history: it changes only when the store is restored from
     * a backup, after which seqs a client holds may be handed out again, so a client that sees a
     * different epoch than the one its cache was filled under drops that cache (null from older
     * relays).
     * <pre>{@code welcome.conversations().forEach(c -> cache.lastSeq(c.id(), c.lastSeq()));}</pre>
     */
    @JsonTypeName("welcome")
    record Welcome(String session, Party you, List<ConvInfo> conversations, int heartbeatSec,
                   long serverTime, Long recallWindowMs, Boolean cidEcho, String epoch) implements Frame {
        public Welcome(String session, Party you, List<ConvInfo> conversations, int heartbeatSec, long serverTime) {
            this(session, you, conversations, heartbeatSec, serverTime, null, null, null);
        }

        public Welcome(String session, Party you, List<ConvInfo> conversations, int heartbeatSec,
                       long serverTime, Long recallWindowMs, Boolean cidEcho) {
            this(session, you, conversations, heartbeatSec, serverTime, recallWindowMs, cidEcho, null);
        }
    }

    /**
     * A message from a client. {@code cid} is unique per sender and makes resends idempotent;
     * {@code conv} may be null for a visitor (its current conversation is used or one is opened).
     * <pre>{@code new Frame.Send("c-" + UUID.randomUUID(), convId, MessageKind.TEXT, "hi", null)}</pre>
     */
    @JsonTypeName("send")
    record Send(String cid, String conv, String kind, String body, FileRef file) implements Frame {}

    /**
     * Sent to the sender once its message is durable; a resend of the same {@code cid} gets the
     * same ack again (same {@code seq}). For an internal note {@code note} is true and {@code seq} is
     * the note's {@code nseq}, not a message seq.
     * <pre>{@code outbox.remove(ack.cid());}</pre>
     */
    @JsonTypeName("ack")
    record Ack(String cid, String conv, long seq, long ts, Boolean note) implements Frame {
        public Ack(String cid, String conv, long seq, long ts) {
            this(cid, conv, seq, ts, null);
        }
    }

    /**
     * A stored message as delivered to every participant. {@code seq} is gapless per conversation,
     * starting at 1; clients drop a {@code msg} whose seq they already hold.
     * <pre>{@code if (msg.seq() > held) show(msg);}</pre>
     */
    @JsonTypeName("msg")
    record Msg(String conv, long seq, String cid, Party from, String kind, String body,
               FileRef file, long ts, Boolean recalled) implements Frame {
        public Msg(String conv, long seq, String cid, Party from, String kind, String body, FileRef file, long ts) {
            this(conv, seq, cid, from, kind, body, file, ts, null);
        }
    }

    /**
     * Pages history: either {@code before} (older than that seq) or {@code after} (newer), at most
     * {@code limit} messages (default 50, at most 500). Answered with {@link Msgs}.
     * <pre>{@code new Frame.Sync(convId, 120L, null, 50)}</pre>
     */
    @JsonTypeName("sync")
    record Sync(String conv, Long before, Long after, Integer limit) implements Frame {}

    /**
     * The answer to {@link Sync}: messages in ascending seq; {@code more} tells whether further
     * messages lie in the direction asked. Agents also get the conversation's internal {@code notes}.
     * <pre>{@code if (page.more()) requestOlder(page.items().get(0).seq());}</pre>
     */
    @JsonTypeName("msgs")
    record Msgs(String conv, List<Msg> items, boolean more, List<Note> notes) implements Frame {
        public Msgs(String conv, List<Msg> items, boolean more) {
            this(conv, items, more, null);
        }
    }

    /**
     * A visitor's page view, sent on every page load and single-page-app navigation.
     * <pre>{@code new Frame.PageView(location.href, document.title, document.referrer)}</pre>
     */
    @JsonTypeName("page")
    record PageView(String url, String title, String referrer) implements Frame {}

    /**
     * Tells agents that a visitor came online, viewed a page or went offline ({@code event} is
     * {@code online}, {@code page} or {@code offline}).
     * <pre>{@code visitorsTable.update(ev.visitor());}</pre>
     */
    @JsonTypeName("visitor")
    record VisitorEvent(String event, VisitorPresence visitor) implements Frame {}

    /**
     * Sent to an agent right after {@code welcome}: every visitor of its sites online now.
     * <pre>{@code list.visitors().forEach(visitorsTable::update);}</pre>
     */
    @JsonTypeName("visitors")
    record VisitorList(List<VisitorPresence> visitors) implements Frame {}

    /**
     * Ephemeral typing state, never stored. Agents receive a visitor's draft {@code text}; visitors
     * only learn that an agent is typing. {@code from} is filled in by the relay.
     * <pre>{@code new Frame.Typing(convId, draft, null)}</pre>
     */
    @JsonTypeName("typing")
    record Typing(String conv, String text, Party from) implements Frame {}

    /**
     * The reader has seen every message up to {@code seq}. Stored, and relayed to the other
     * participants with {@code from} filled in.
     * <pre>{@code new Frame.Read(convId, lastShownSeq, null)}</pre>
     */
    @JsonTypeName("read")
    record Read(String conv, Long seq, Party from) implements Frame {}

    /**
     * An agent takes a waiting conversation. Answered by a {@link ConvUpdate} to every agent.
     * <pre>{@code new Frame.Accept(convId)}</pre>
     */
    @JsonTypeName("accept")
    record Accept(String conv) implements Frame {}

    /**
     * An agent hands a conversation to another agent ({@code to} is an agent id).
     * <pre>{@code new Frame.Transfer(convId, "a-2")}</pre>
     */
    @JsonTypeName("transfer")
    record Transfer(String conv, String to) implements Frame {}

    /**
     * Ends a conversation; later sends to it get {@code conv_closed}.
     * <pre>{@code new Frame.Close(convId)}</pre>
     */
    @JsonTypeName("close")
    record Close(String conv) implements Frame {}

    /**
     * An agent opens a conversation with a browsing visitor, first message included. Acked like
     * a {@link Send}, under the same {@code cid} rules.
     * <pre>{@code new Frame.Invite("c-7", visitorId, "Can I help you?")}</pre>
     */
    @JsonTypeName("invite")
    record Invite(String cid, String visitor, String body) implements Frame {}

    /**
     * Tells agents (and the conversation's visitor) of a conversation's new state. {@code cid} is
     * only on the copy that answers a {@link Contact} or {@link Rate} sent with a cid, to the
     * connection that sent it; null everywhere else.
     * <pre>{@code conversations.put(u.conv().id(), u.conv());}</pre>
     */
    @JsonTypeName("conv")
    record ConvUpdate(ConvInfo conv, String cid) implements Frame {
        public ConvUpdate(ConvInfo conv) {
            this(conv, null);
        }
    }

    /**
     * Heartbeat; the relay sends one every {@code heartbeatSec} and the client answers {@link Pong}.
     * <pre>{@code send(new Frame.Pong());}</pre>
     */
    @JsonTypeName("ping")
    record Ping() implements Frame {}

    /**
     * The answer to {@link Ping}.
     * <pre>{@code new Frame.Pong()}</pre>
     */
    @JsonTypeName("pong")
    record Pong() implements Frame {}

    /**
     * A refusal. {@code code} is one of {@link ErrorCode}'s wire names; {@code cid} names the
     * refused message when there is one. A refused send is not stored and not retried as-is.
     * <pre>{@code if (ErrorCode.fromWire(e.code()) == ErrorCode.CONV_CLOSED) startNewConversation();}</pre>
     */
    @JsonTypeName("error")
    record Error(String code, String message, String cid) implements Frame {
        public static Error of(ErrorCode code, String message) {
            return new Error(code.wire(), message, null);
        }

        public static Error of(ErrorCode code, String message, String cid) {
            return new Error(code.wire(), message, cid);
        }
    }

    // ---- the customer-service workflow (Kefu additions, see docs/protocol.md) --------------

    /**
     * Tells a waiting visitor its place in the site's queue (1 = next) and an estimated wait.
     * <pre>{@code banner.show(q.position(), q.etaSec());}</pre>
     */
    @JsonTypeName("queue")
    record QueueUpdate(String conv, int position, long etaSec) implements Frame {}

    /**
     * Sent to a visitor after {@code welcome} and whenever it changes: whether an agent can answer
     * now ({@code online}); if not, {@code reason} is {@code no_agents} or {@code closed} (outside
     * business hours) and a message left is answered later. Also the site's welcome text and
     * whether agents see drafts as they are typed.
     * <pre>{@code if (!s.online()) showLeaveMessageForm();}</pre>
     */
    @JsonTypeName("service")
    record Service(boolean online, String reason, String siteName, String welcome, Boolean typingPreview)
            implements Frame {}

    /**
     * An agent sets its status: {@code online} (gets new chats) or {@code away} (keeps its chats,
     * gets no new ones).
     * <pre>{@code new Frame.AgentStatus("away")}</pre>
     */
    @JsonTypeName("status")
    record AgentStatus(String status) implements Frame {}

    /**
     * Sent to agents on hello and whenever an agent connects, leaves, changes status or load:
     * every agent of the relay with its status and open conversations.
     * <pre>{@code transferMenu.setItems(list.agents());}</pre>
     */
    @JsonTypeName("agents")
    record AgentList(List<AgentInfo> agents) implements Frame {}

    /**
     * Contact details a visitor leaves with a message when nobody can answer now. {@code cid} is
     * optional and made by the client like a send's: the relay echoes it in the {@link Error} or
     * {@link ConvUpdate} that answers this frame. Inside {@link ConvInfo#contact()} it is always null.
     * <pre>{@code new Frame.Contact(convId, "Li Lei", "li@example.com", "+86 138...", null, "k-7")}</pre>
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonTypeName("contact")
    record Contact(String conv, String name, String email, String phone, String text, String cid) implements Frame {
        public Contact(String conv, String name, String email, String phone, String text) {
            this(conv, name, email, phone, text, null);
        }
    }

    /**
     * An internal note: agents only, never sent to the visitor. Agents write one with a
     * {@code send} of kind {@code note}; notes are numbered by {@code nseq} per conversation apart
     * from messages, and {@code afterSeq} places one after that message.
     * <pre>{@code chat.insertNoteAfter(n.afterSeq(), n.body());}</pre>
     */
    @JsonTypeName("note")
    record Note(String conv, long nseq, String cid, Party from, String body, long afterSeq, long ts)
            implements Frame {}

    /**
     * The sender takes back its own message, within the relay's recall window
     * ({@link Welcome#recallWindowMs()}, two minutes by default). {@code cid} is optional, made by the
     * client: the relay echoes it in the {@link Error} or {@link Recalled} that answers this frame.
     * <pre>{@code new Frame.Recall(convId, 22L, "r-1")}</pre>
     */
    @JsonTypeName("recall")
    record Recall(String conv, Long seq, String cid) implements Frame {
        public Recall(String conv, Long seq) {
            this(conv, seq, null);
        }
    }

    /**
     * A message was recalled: show a "recalled" marker in its place. {@code cid} is only on the copy
     * that answers a {@link Recall} sent with a cid, to the connection that sent it.
     * <pre>{@code bubbles.get(r.seq()).markRecalled();}</pre>
     */
    @JsonTypeName("recalled")
    record Recalled(String conv, long seq, Party from, long ts, String cid) implements Frame {
        public Recalled(String conv, long seq, Party from, long ts) {
            this(conv, seq, from, ts, null);
        }
    }

    /**
     * A visitor rates a closed conversation, once: {@code score} 1 to 5 and an optional comment.
     * {@code cid} is optional, made by the client: the relay echoes it in the {@link Error} or
     * {@link ConvUpdate} that answers this frame.
     * <pre>{@code new Frame.Rate(convId, 5, "很好", "k-8")}</pre>
     */
    @JsonTypeName("rate")
    record Rate(String conv, Integer score, String comment, String cid) implements Frame {
        public Rate(String conv, Integer score, String comment) {
            this(conv, score, comment, null);
        }
    }

    /**
     * An agent's quick replies (shared ones of its sites and its personal ones), on hello and on change.
     * <pre>{@code palette.setAll(q.items());}</pre>
     */
    @JsonTypeName("quickReplies")
    record QuickReplies(List<QuickReply> items) implements Frame {}

    // ---- values carried inside frames -------------------------------------------------------

    /**
     * An agent as other agents see it: {@code status} is {@code online}, {@code away} or
     * {@code offline}; {@code open} counts its open conversations.
     * <pre>{@code if ("online".equals(a.status())) menu.add(a.name());}</pre>
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record AgentInfo(String id, String name, String status, int open, int capacity) {}

    /**
     * A canned response: typed as {@code /shortcut} in the app. {@code shared} replies belong to a
     * site ({@code site} null = every site), the others to the agent.
     * <pre>{@code if (q.shortcut().startsWith(typed)) suggestions.add(q);}</pre>
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record QuickReply(String id, String site, boolean shared, String shortcut, String text, String imageKey) {}


    /**
     * Who a visitor says it is. {@code id} is random, made once by the client (16 to 64 characters
     * of {@code [A-Za-z0-9_-]}); {@code userId} + {@code userHash} is the host site's signed identity.
     * <pre>{@code new Frame.VisitorInfo("v-3f2a9c0e1d2b4a5f", "Li Lei", null, Map.of(), null, null)}</pre>
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record VisitorInfo(String id, String name, String email, Map<String, Object> attrs,
                       String userId, String userHash) {}

    /**
     * The client software, for logs and statistics.
     * <pre>{@code new Frame.ClientInfo("kefu-widget", "1.0.0")}</pre>
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ClientInfo(String name, String version) {}

    /**
     * A participant: {@code role} is {@code visitor} or {@code agent} (or {@code system}); {@code name}
     * may be null.
     * <pre>{@code new Frame.Party(Role.AGENT, "a-1", "Wang Fang")}</pre>
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Party(String role, String id, String name) {}

    /**
     * A conversation as clients see it: in {@code welcome} lists and {@code conv} frames.
     * {@code agent} is null while it is waiting; {@code lastSeq} is 0 before its first message.
     * {@code contact} holds the contact's own fields only: no {@code type} (a frame's, not the
     * contact's), though one is accepted, as older relays sent it.
     * <pre>{@code if (ConvStatus.WAITING.equals(c.status())) waitingTab.add(c);}</pre>
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ConvInfo(String id, String site, String status, String visitor, String visitorName,
                    String agent, String agentName, long lastSeq, long createdAt,
                    @JsonTypeInfo(use = JsonTypeInfo.Id.NONE) Contact contact, Integer rating, String ratingComment) {
        public ConvInfo(String id, String site, String status, String visitor, String visitorName,
                        String agent, String agentName, long lastSeq, long createdAt) {
            this(id, site, status, visitor, visitorName, agent, agentName, lastSeq, createdAt, null, null, null);
        }
    }

    /**
     * An uploaded file attached to an {@code image} or {@code file} message.
     * <pre>{@code new Frame.FileRef("site/c1/ab12/shot.png", "shot.png", 48213L, "image/png")}</pre>
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record FileRef(String key, String name, Long size, String mime) {}

    /**
     * A page as seen by visitor tracking.
     * <pre>{@code new Frame.PageInfo("https://shop/cart", "Cart")}</pre>
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record PageInfo(String url, String title) {}

    /**
     * A browsing visitor as agents see it: where it is now, how many pages it saw, since when
     * (epoch ms), its browser and address, and whether it is chatting.
     * <pre>{@code row.setPage(v.page().url());}</pre>
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record VisitorPresence(String id, String site, String name, Map<String, Object> attrs,
                           PageInfo page, int pages, long since, String ua, String ip,
                           String referrer, Boolean chatting) {}
}
