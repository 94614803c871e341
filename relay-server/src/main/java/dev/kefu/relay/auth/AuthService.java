package dev.kefu.relay.auth;

import dev.kefu.protocol.ErrorCode;
import dev.kefu.relay.store.AccountStore;
import dev.kefu.relay.store.AgentRecord;
import dev.kefu.relay.store.Conversation;
import dev.kefu.relay.store.MessageStore;
import dev.kefu.relay.store.SiteRecord;
import dev.kefu.relay.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Who may connect: agents by password (for a token) or by token, visitors by site key and, when
 * the site signs identities, by {@code userHash}.
 *
 * <p>A visitor signed in by its site ({@code userId} + {@code userHash}) is one visitor on every
 * device: whatever id its browser presents, it is the user's canonical visitor (see
 * {@link MessageStore#signIn}). An id once used by a signed-in user is that user's: another user
 * presenting it gets their own visitor, and a hello presenting it without the user is refused
 * ({@link ErrorCode#IDENTITY_REQUIRED}), so a shared computer never shows one user's history to
 * the next. A browser's id bound to a user who already has a visitor brings its anonymous
 * conversations along: the binding write moves them to the user's visitor, and
 * {@link #onConversationsMoved} tells whoever holds them by visitor.
 */
public final class AuthService {
    private static final Logger log = LoggerFactory.getLogger(AuthService.class);
    /** Longest a hello waits for the write that makes a new user's visitor (one group commit, normally ms). */
    private static final long SIGN_IN_TIMEOUT_MS = 10_000;

    private final AccountStore accounts;
    private final PasswordHasher hasher;
    private final TokenService tokens;
    private final MessageStore store;
    /** Told of the conversations a sign-in moved to the user's visitor (see {@link #onConversationsMoved}). */
    private volatile Consumer<List<Conversation>> movedListener = moved -> { };

    public AuthService(AccountStore accounts, PasswordHasher hasher, TokenService tokens, MessageStore store) {
        this.accounts = accounts;
        this.hasher = hasher;
        this.tokens = tokens;
        this.store = store;
    }

    /** A token for an enabled agent whose password matches, else empty. Slow on purpose. */
    public Optional<Login> login(String username, String password) {
        if (username == null || password == null) {
            return Optional.empty();
        }
        Optional<AgentRecord> agent = accounts.agentByUsername(username);
        if (agent.isEmpty()) {
            hasher.hash(password); // spend the same time, so response times do not reveal usernames
            return Optional.empty();
        }
        if (agent.get().disabled() || !hasher.verify(password, agent.get().passwordHash())) {
            return Optional.empty();
        }
        String token = tokens.issue(agent.get().id());
        return Optional.of(new Login(token, tokens.expiresAt(token), agent.get()));
    }

    /** The enabled agent a valid token was issued to. */
    public Optional<AgentRecord> agentForToken(String token) {
        return tokens.verify(token).flatMap(accounts::agent).filter(a -> !a.disabled());
    }

    public Optional<AgentRecord> agent(String id) {
        return accounts.agent(id);
    }

    /**
     * {@code listener} hears, on the signing-in caller's thread, of every sign-in that moved an
     * anonymous browser's conversations to the user's visitor (quick, never blocking): whoever
     * holds them by their old visitor must follow.
     */
    public void onConversationsMoved(Consumer<List<Conversation>> listener) {
        this.movedListener = listener;
    }

    public Optional<SiteRecord> site(String key) {
        return key == null ? Optional.empty() : accounts.site(key);
    }

    /**
     * Who a visitor of {@code site} is, from what it says of itself (a hello's {@code visitor}, or a
     * file request): its id must be well formed and its {@code userId}, if any, signed. Blocks and
     * origins are the caller's to check, against the answer's id and the presented one. May wait
     * for one store write, the first time a user signs in or a browser's id is bound to a user.
     */
    public VisitorCheck visitor(SiteRecord site, String presentedId, String userId, String userHash) {
        if (!VisitorIdentity.isWellFormedId(presentedId)) {
            return new VisitorCheck.Refused(ErrorCode.BAD_IDENTITY, "visitor.id must be 16 to 64 characters of [A-Za-z0-9_-]");
        }
        if (userId != null && !VisitorIdentity.verify(site.secret(), userId, userHash)) {
            return new VisitorCheck.Refused(ErrorCode.BAD_IDENTITY, "userHash does not sign userId for this site");
        }
        try {
            Optional<String> boundTo = store.userOf(site.key(), presentedId);
            if (userId == null) {
                return boundTo.isPresent()
                        ? new VisitorCheck.Refused(ErrorCode.IDENTITY_REQUIRED, "this visitor id belongs to a signed-in "
                                + "user; sign that user in (userId, userHash) or connect with a new id")
                        : new VisitorCheck.Admitted(presentedId, null, false, List.of());
            }
            Optional<String> canonical = store.visitorOf(site.key(), userId);
            if (canonical.isPresent() && boundTo.isPresent()) {
                return new VisitorCheck.Admitted(canonical.get(), userId, false, List.of()); // nothing to bind
            }
            MessageStore.SignIn in = store.signIn(site.key(), presentedId, userId)
                    .get(SIGN_IN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            if (!in.moved().isEmpty()) {
                log.info("{} conversation(s) of visitor {} of {} moved to the signed-in user's visitor {}",
                        in.moved().size(), presentedId, site.key(), in.visitorId());
                movedListener.accept(in.moved());
            }
            return new VisitorCheck.Admitted(in.visitorId(), userId, in.boundNow(), in.moved());
        } catch (StoreException | ExecutionException | TimeoutException e) {
            log.warn("signing in a visitor of {} failed: {}", site.key(), e.toString());
            return new VisitorCheck.Refused(ErrorCode.SERVER_BUSY, "the store is unavailable; retry");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new VisitorCheck.Refused(ErrorCode.SERVER_BUSY, "interrupted; retry");
        }
    }

    /**
     * As {@link #visitor}, for a visitor asking to download a file it names by key: an id bound to
     * a user, presented without {@code userId}, reads as that user's visitor rather than being
     * refused. Widgets from before signed-in users were one visitor send no {@code userId} with a
     * download; they keep opening the files of the user's conversations. Nothing is listed this
     * way: the caller must know the file's exact key, which only the user's history shows.
     */
    public VisitorCheck fileReader(SiteRecord site, String presentedId, String userId, String userHash) {
        if (userId == null && VisitorIdentity.isWellFormedId(presentedId)) {
            try {
                Optional<String> boundTo = store.userOf(site.key(), presentedId);
                if (boundTo.isPresent()) {
                    String canonical = store.visitorOf(site.key(), boundTo.get()).orElse(presentedId);
                    return new VisitorCheck.Admitted(canonical, boundTo.get(), false, List.of());
                }
            } catch (StoreException e) {
                return new VisitorCheck.Refused(ErrorCode.SERVER_BUSY, "the store is unavailable; retry");
            }
        }
        return visitor(site, presentedId, userId, userHash);
    }

    /** The answer of {@link #visitor}. */
    public sealed interface VisitorCheck {
        /**
         * The visitor to act as: {@code visitorId} is the canonical visitor of {@code userId} (null:
         * anonymous, and then the presented id); {@code boundNow}: the presented id was bound to
         * the user just now, so anonymous connections still using it must go; {@code moved}: the
         * presented id's conversations, moved to the user's visitor by this sign-in (usually none).
         */
        record Admitted(String visitorId, String userId, boolean boundNow, List<Conversation> moved)
                implements VisitorCheck {}

        /** Refused: {@code BAD_IDENTITY}, {@code IDENTITY_REQUIRED}, or {@code SERVER_BUSY} (retry later). */
        record Refused(ErrorCode code, String message) implements VisitorCheck {}
    }

    /** A successful login: the token, when it expires (epoch ms) and the agent. */
    public record Login(String token, long expiresAt, AgentRecord agent) {}
}
