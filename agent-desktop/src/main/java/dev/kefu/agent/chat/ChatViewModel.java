package dev.kefu.agent.chat;

import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.cache.KnownAgent;
import dev.kefu.agent.ui.UiThread;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The open conversation: its messages (stored ones by seq, then pending ones), the visitor's live
 * draft, the reply being written, older history on demand, and the agent's actions on it.
 */
public final class ChatViewModel {
    /**
     * Stored messages in seq order, each stored note right after the message it follows (notes
     * after the same message by number), then pending and failed messages and notes in the order written.
     */
    static final Comparator<ChatMessage> ORDER = (a, b) -> {
        boolean aPlaced = placed(a);
        if (aPlaced && placed(b)) {
            int byAnchor = Long.compare(a.isNote() ? a.afterSeq() : a.seq(), b.isNote() ? b.afterSeq() : b.seq());
            if (byAnchor != 0) {
                return byAnchor;
            }
            if (a.isNote() != b.isNote()) {
                return a.isNote() ? 1 : -1;
            }
            return Long.compare(a.nseq(), b.nseq());
        }
        if (aPlaced != placed(b)) {
            return aPlaced ? -1 : 1;
        }
        int byTime = Long.compare(a.ts(), b.ts());
        if (byTime != 0) {
            return byTime;
        }
        if (a.isNote() != b.isNote()) {
            return a.isNote() ? 1 : -1;
        }
        return Long.compare(a.localId(), b.localId());
    };

    /** Numbered by the relay (a message's seq, a note's nseq), so its place is known. */
    private static boolean placed(ChatMessage m) {
        return m.isNote() ? m.nseq() > 0 : m.seq() > 0;
    }

    private final ConversationService service;
    private final String myId;
    private final Supplier<List<String>> quickReplies;
    private final ObjectProperty<Conversation> conversation = new SimpleObjectProperty<>();
    private final ObservableList<ChatMessage> messages = FXCollections.observableArrayList();
    private final StringProperty visitorDraft = new SimpleStringProperty("");
    private final StringProperty input = new SimpleStringProperty("");
    private final BooleanProperty olderAvailable = new SimpleBooleanProperty();
    private final BooleanProperty loadingOlder = new SimpleBooleanProperty();
    private final BooleanProperty inFront = new SimpleBooleanProperty();
    private final BooleanProperty online = new SimpleBooleanProperty();
    private final StringProperty notice = new SimpleStringProperty("");
    private final StringProperty noticeDetail = new SimpleStringProperty("");
    /** The composer writes internal notes (agents only) instead of replies. */
    private final BooleanProperty noteMode = new SimpleBooleanProperty();
    private final ObservableList<KnownAgent> agents = FXCollections.observableArrayList();
    /** Own uploads in progress by cid: 0..1 done, -1 waiting for the network. */
    private final javafx.collections.ObservableMap<String, Double> uploads = FXCollections.observableHashMap();
    private final StringProperty openedUrl = new SimpleStringProperty();
    private final FileAccess files;
    private String currentId;
    /** Older messages of the open conversation could not be asked of the relay (offline): asked once online. */
    private boolean olderAwaitsRelay;
    /** The notice while a conversation's messages are not cached and the relay cannot be asked. */
    static final String HISTORY_OFFLINE = "history_offline";

    /**
     * @param quickReplies the replies offered after {@code /}, in order
     */
    private static final java.util.Set<String> UPLOAD_CODES = java.util.Set.of("too_large", "type_not_allowed",
            "refused", "expired", "unreadable", "network");

    public ChatViewModel(ConversationService service, String myId, Supplier<List<String>> quickReplies) {
        this(service, myId, quickReplies, FileAccess.NONE);
    }

    /** @param files stored files' bytes and signed URLs (thumbnails, opening files) */
    public ChatViewModel(ConversationService service, String myId, Supplier<List<String>> quickReplies,
                         FileAccess files) {
        this.files = files;
        this.service = service;
        this.myId = myId;
        this.quickReplies = quickReplies;
        service.addListener(new ConversationListener() {
            @Override
            public void conversationChanged(Conversation now, Conversation before) {
                UiThread.run(() -> {
                    if (isCurrent(now.id())) {
                        conversation.set(now);
                    }
                });
            }

            @Override
            public void messagesChanged(String conv, List<ChatMessage> list, boolean live) {
                UiThread.run(() -> {
                    if (isCurrent(conv)) {
                        merge(list);
                        if (live && inFront.get()) {
                            service.markRead(conv);
                        }
                    }
                });
            }

            @Override
            public void historyLoaded(String conv, List<ChatMessage> older, boolean more) {
                UiThread.run(() -> {
                    if (isCurrent(conv)) {
                        merge(older);
                        loadingOlder.set(false);
                        if (HISTORY_OFFLINE.equals(notice.get())) {
                            notice.set("");
                        }
                        if (hasGap()) {
                            // the newest page of a conversation whose older part is cached: show the newest
                            // part alone; what lies between is fetched as the agent scrolls up to it. The
                            // agent in front of it has read it.
                            showLatest(conv);
                            if (inFront.get()) {
                                service.markRead(conv);
                            }
                        } else {
                            olderAvailable.set(more && lowestSeq() > 1);
                        }
                    }
                });
            }

            @Override
            public void historyReplaced() {
                UiThread.run(() -> {
                    if (currentId != null) {
                        messages.clear(); // the old history: the relay no longer vouches for it
                        load(currentId);
                    }
                });
            }

            @Override
            public void draftChanged(String conv, String draft) {
                UiThread.run(() -> {
                    if (isCurrent(conv)) {
                        visitorDraft.set(draft);
                    }
                });
            }

            @Override
            public void refused(String conv, String code, String message) {
                UiThread.run(() -> {
                    if (conv == null || isCurrent(conv)) {
                        // upload refusals carry a message meant for the agent (the limit, the type)
                        notice.set(UPLOAD_CODES.contains(code) && message != null ? message : code);
                        // a refused recall: the relay's own words say why (e.g. the window passed)
                        noticeDetail.set(code.startsWith("recall_") && message != null ? message : "");
                    }
                });
            }

            @Override
            public void uploadProgress(String conv, String cid, long sent, long total) {
                UiThread.run(() -> uploads.put(cid, total <= 0 ? -1.0 : Math.min(1.0, (double) sent / total)));
            }
        });
        input.addListener((o, was, text) -> {
            Conversation c = conversation.get();
            if (c != null && c.isLive() && !text.startsWith("/") && !noteMode.get()) {
                service.typing(c.id(), text);
            }
        });
        noteMode.addListener((o, was, note) -> {
            Conversation c = conversation.get();
            if (note && c != null && c.isLive() && !input.get().isEmpty()) {
                service.typing(c.id(), ""); // what follows is a note: the visitor no longer sees the agent typing
            }
        });
        online.addListener((o, was, isOnline) -> {
            if (!isOnline) {
                visitorDraft.set(""); // a draft seen before the drop says nothing about now
            } else if (currentId != null) {
                requestMissing(currentId); // what could not be fetched offline
                if (olderAwaitsRelay || loadingOlder.get()) {
                    // older messages that could not be asked for, or asked on a connection now gone
                    olderAwaitsRelay = false;
                    loadingOlder.set(false);
                    loadOlder();
                }
            }
        });
        inFront.addListener((o, was, front) -> {
            if (front && conversation.get() != null) {
                service.markRead(conversation.get().id());
            }
        });
    }

    /** Shows conversation {@code id} (null: none): its newest page from the cache. */
    public void open(String id) {
        if (java.util.Objects.equals(currentId, id)) {
            return;
        }
        currentId = id;
        conversation.set(null);
        messages.clear();
        visitorDraft.set("");
        notice.set("");
        noticeDetail.set("");
        input.set("");
        noteMode.set(false);
        olderAvailable.set(false);
        loadingOlder.set(false);
        olderAwaitsRelay = false;
        if (id == null) {
            return;
        }
        load(id);
    }

    /** Reads the open conversation {@code id} and its newest page from the cache, and what it lacks from the relay. */
    private void load(String id) {
        olderAvailable.set(false);
        loadingOlder.set(false);
        olderAwaitsRelay = false;
        service.conversation(id).thenAccept(c -> UiThread.run(() -> {
            if (isCurrent(id)) {
                conversation.set(c.orElse(null));
            }
        }));
        service.latest(id).thenAccept(list -> UiThread.run(() -> {
            if (isCurrent(id)) {
                merge(list);
                olderAvailable.set(lowestSeq() > 1);
                if (inFront.get()) {
                    service.markRead(id);
                }
            }
        }));
        requestMissing(id);
    }

    /** Shows the newest part of the cache's messages (up to a gap) instead of what is shown. */
    private void showLatest(String id) {
        service.latest(id).thenAccept(list -> UiThread.run(() -> {
            if (isCurrent(id)) {
                messages.setAll(list.stream().filter(m -> isCurrent(m.conv())).sorted(ORDER).toList());
                olderAvailable.set(lowestSeq() > 1);
            }
        }));
    }

    /** Whether a seq is missing between the oldest and the newest stored message shown. */
    private boolean hasGap() {
        long previous = 0;
        for (ChatMessage m : messages) {
            if (!m.isNote() && m.seq() > 0) {
                if (previous > 0 && m.seq() != previous + 1) {
                    return true;
                }
                previous = m.seq();
            }
        }
        return false;
    }

    /**
     * A closed conversation whose newest messages the cache lacks (an earlier one the relay listed) is
     * asked of the relay; they arrive as {@code historyLoaded}. Offline, the notice says they load later.
     */
    private void requestMissing(String id) {
        service.requestMissing(id).thenAccept(asked -> UiThread.run(() -> {
            if (!isCurrent(id)) {
                return;
            }
            if (!asked) {
                notice.set(HISTORY_OFFLINE);
            } else if (HISTORY_OFFLINE.equals(notice.get())) {
                notice.set("");
            }
        }));
    }

    /**
     * Loads the page above the oldest message shown: from the cache down to the first message it
     * lacks, and what it lacks from the relay (the start, or a gap in the middle). Offline, the
     * notice says those load later, and they are asked for once online again.
     */
    public void loadOlder() {
        String id = currentId;
        if (id == null || loadingOlder.get() || !olderAvailable.get()) {
            return;
        }
        loadingOlder.set(true);
        long before = lowestSeq();
        service.older(id, before).thenAccept(page -> UiThread.run(() -> {
            if (!isCurrent(id)) {
                return;
            }
            merge(page.messages());
            long lowest = lowestSeq();
            switch (page.relay()) {
                case NOT_NEEDED -> {
                    loadingOlder.set(false);
                    olderAvailable.set(lowest > 1);
                }
                case ASKED -> {
                    // the relay's answer ends the loading (historyLoaded); a cached part may be read meanwhile
                    if (!page.messages().isEmpty()) {
                        loadingOlder.set(false);
                    }
                }
                case UNREACHABLE -> {
                    loadingOlder.set(false);
                    olderAwaitsRelay = true;
                    notice.set(HISTORY_OFFLINE);
                }
            }
        }));
    }

    /** Sends the input as a reply, or in note mode as an internal note (notes may go to closed conversations too). */
    public void send() {
        Conversation c = conversation.get();
        String text = input.get().strip();
        if (c == null || text.isEmpty() || (!c.isLive() && !noteMode.get())) {
            return;
        }
        input.set("");
        if (noteMode.get()) {
            service.sendNote(c.id(), text);
        } else {
            service.send(c.id(), text);
        }
    }

    /**
     * Whether {@code m} offers "Recall" at {@code nowMs}: this agent's own stored message, not a
     * note, not recalled yet, sent within {@code windowMs} (the relay's recall window; times are the
     * relay's).
     */
    public static boolean canRecall(ChatMessage m, String myId, long nowMs, long windowMs) {
        return m != null && !m.isNote() && !m.recalled() && m.seq() > 0 && !m.fromVisitor()
                && myId != null && myId.equals(m.fromId()) && nowMs - m.ts() <= windowMs;
    }

    public boolean canRecall(ChatMessage m) {
        return canRecall(m, myId, service.relayNow(), service.recallWindowMs()); // message times are the relay's
    }

    /** Asks the relay to recall own message {@code m}; its bubble changes when the relay confirms. */
    public void recall(ChatMessage m) {
        if (m == null || m.seq() <= 0 || m.conv() == null) {
            return;
        }
        notice.set("");
        noticeDetail.set("");
        service.recall(m.conv(), m.seq()).thenAccept(sent -> UiThread.run(() -> {
            if (!sent) {
                notice.set("offline");
            }
        }));
    }

    /** Sends the file at {@code path} (picker, drag and drop, pasted file) to the open conversation. */
    public void attach(java.nio.file.Path path) {
        Conversation c = conversation.get();
        if (c == null || !c.isLive() || path == null || refuseFileInNoteMode()) {
            return;
        }
        String name = path.getFileName().toString();
        service.sendFile(c.id(), path, name, dev.kefu.agent.upload.Uploader.mimeOf(name))
                .exceptionally(e -> failedLocally(e));
    }

    /** Sends a PNG made in the app (a pasted image, a screenshot) to the open conversation. */
    public void attachPng(byte[] png, String name) {
        Conversation c = conversation.get();
        if (c == null || !c.isLive() || refuseFileInNoteMode()) {
            return;
        }
        service.sendBytes(c.id(), png, name, "image/png").exceptionally(e -> failedLocally(e));
    }

    /** The screenshot tool's last step: the selected region of a captured screen, sent as an image. */
    public void sendScreenshot(java.awt.image.BufferedImage screen, int x, int y, int w, int h) {
        attachPng(dev.kefu.agent.ui.ScreenCapture.cropPng(screen, x, y, w, h), "screenshot-"
                + java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".png");
    }

    /** Notes are text only, and a file dropped while writing one must not reach the visitor by surprise. */
    private boolean refuseFileInNoteMode() {
        if (noteMode.get()) {
            notice.set("note_text_only");
            return true;
        }
        return false;
    }

    private ChatMessage failedLocally(Throwable e) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        UiThread.run(() -> notice.set(String.valueOf(cause.getMessage())));
        return null;
    }

    /** The bytes of an image or file of a message (thumbnails); cached on disk by the service. */
    public java.util.concurrent.CompletableFuture<byte[]> fileBytes(ChatMessage m) {
        return m.fileKey() == null ? java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("not uploaded"))
                : files.bytes(m.fileKey());
    }

    /** Opens a message's file: a fresh signed URL goes to {@link #openedUrlProperty()}, which the view opens. */
    public void openFile(ChatMessage m) {
        if (m.fileKey() == null) {
            return;
        }
        files.url(m.fileKey()).thenAccept(url -> UiThread.run(() -> openedUrl.set(url)))
                .exceptionally(e -> {
                    UiThread.run(() -> notice.set(String.valueOf(e.getMessage())));
                    return null;
                });
    }

    /** Upload progress of own pending files by cid (0..1; -1 waiting for the network). */
    public javafx.collections.ObservableMap<String, Double> uploads() {
        return uploads;
    }

    public ReadOnlyStringProperty openedUrlProperty() {
        return openedUrl;
    }

    public void accept() {
        act(service::accept);
    }

    public void close() {
        act(service::close);
    }

    public void transfer(String agentId) {
        if (agentId == null || agentId.isBlank()) {
            return;
        }
        act(id -> service.transfer(id, agentId.trim()));
    }

    /** Fills the list of agents to transfer to (those met so far). */
    public void loadAgents() {
        service.knownAgents().thenAccept(list -> UiThread.run(() -> agents.setAll(list)));
    }

    /** Quick replies matching what follows {@code /} in the input (all of them for a bare {@code /}). */
    public List<String> quickReplyMatches() {
        String text = input.get();
        if (!text.startsWith("/")) {
            return List.of();
        }
        String q = text.substring(1).toLowerCase(Locale.ROOT).strip();
        return quickReplies.get().stream().filter(r -> q.isEmpty() || r.toLowerCase(Locale.ROOT).contains(q)).toList();
    }

    public List<String> allQuickReplies() {
        return quickReplies.get();
    }

    private void act(java.util.function.Function<String, java.util.concurrent.CompletableFuture<Boolean>> action) {
        Conversation c = conversation.get();
        if (c == null) {
            return;
        }
        notice.set("");
        action.apply(c.id()).thenAccept(sent -> UiThread.run(() -> {
            if (!sent) {
                notice.set("offline");
            }
        }));
    }

    private boolean isCurrent(String id) {
        return currentId != null && currentId.equals(id);
    }

    private long lowestSeq() {
        return messages.stream().mapToLong(ChatMessage::seq).filter(s -> s > 0).min().orElse(0);
    }

    /** Adds or replaces messages of the open conversation, keeping {@link #ORDER}; one list change for a page. */
    private void merge(List<ChatMessage> incoming) {
        List<ChatMessage> mine = incoming.stream().filter(m -> isCurrent(m.conv())).sorted(ORDER).toList();
        if (mine.isEmpty()) {
            return;
        }
        if (messages.isEmpty()) {
            messages.setAll(mine);
            return;
        }
        ChatMessage first = messages.get(0);
        if (ORDER.compare(mine.get(mine.size() - 1), first) < 0 && mine.stream().noneMatch(this::shown)) {
            messages.addAll(0, mine); // an older page
            return;
        }
        for (ChatMessage m : mine) {
            int existing = -1;
            for (int i = messages.size() - 1; i >= 0; i--) {
                if (same(messages.get(i), m)) {
                    existing = i;
                    break;
                }
            }
            if (existing >= 0) {
                messages.remove(existing);
            }
            int at = messages.size();
            while (at > 0 && ORDER.compare(messages.get(at - 1), m) > 0) {
                at--;
            }
            messages.add(at, m);
        }
    }

    private boolean shown(ChatMessage m) {
        return messages.stream().anyMatch(have -> same(have, m));
    }

    private static boolean same(ChatMessage a, ChatMessage b) {
        if (a.isNote() != b.isNote()) {
            return false;
        }
        if (a.isNote()) {
            return a.localId() == b.localId() || (b.nseq() > 0 && a.nseq() == b.nseq());
        }
        return a.localId() == b.localId() || (b.seq() > 0 && a.seq() == b.seq());
    }

    /** Whether this agent may act on the conversation now (accept, transfer, close). */
    public boolean isMine(Conversation c) {
        return c != null && c.isOpenWith(myId);
    }

    public ReadOnlyObjectProperty<Conversation> conversationProperty() {
        return conversation;
    }

    public ObservableList<ChatMessage> messages() {
        return messages;
    }

    public ReadOnlyStringProperty visitorDraftProperty() {
        return visitorDraft;
    }

    public StringProperty inputProperty() {
        return input;
    }

    public ReadOnlyBooleanProperty olderAvailableProperty() {
        return olderAvailable;
    }

    public ReadOnlyBooleanProperty loadingOlderProperty() {
        return loadingOlder;
    }

    /** Set by the main window: the conversations screen is shown and the window has the focus. */
    public BooleanProperty inFrontProperty() {
        return inFront;
    }

    /** Set by the main window from the connection state. */
    public BooleanProperty onlineProperty() {
        return online;
    }

    /** The last refusal, as an error code ({@code offline} when the action needs the relay); empty when none. */
    public StringProperty noticeProperty() {
        return notice;
    }

    /** The relay's own words with the last refusal, when they say more than its code (a refused recall); empty when none. */
    public ReadOnlyStringProperty noticeDetailProperty() {
        return noticeDetail;
    }

    /** On: the composer writes internal notes, which only agents see. Off again when another conversation opens. */
    public BooleanProperty noteModeProperty() {
        return noteMode;
    }

    public ObservableList<KnownAgent> agents() {
        return agents;
    }

    public String myId() {
        return myId;
    }
}
