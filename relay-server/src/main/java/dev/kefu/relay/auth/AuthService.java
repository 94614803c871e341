package dev.kefu.relay.auth;

import dev.kefu.relay.store.AccountStore;
import dev.kefu.relay.store.AgentRecord;
import dev.kefu.relay.store.SiteRecord;

import java.util.Optional;

/**
 * Who may connect: agents by password (for a token) or by token, visitors by site key and, when
 * the site signs identities, by {@code userHash}.
 */
public final class AuthService {
    private final AccountStore accounts;
    private final PasswordHasher hasher;
    private final TokenService tokens;

    public AuthService(AccountStore accounts, PasswordHasher hasher, TokenService tokens) {
        this.accounts = accounts;
        this.hasher = hasher;
        this.tokens = tokens;
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

    public Optional<SiteRecord> site(String key) {
        return key == null ? Optional.empty() : accounts.site(key);
    }

    /** A successful login: the token, when it expires (epoch ms) and the agent. */
    public record Login(String token, long expiresAt, AgentRecord agent) {}
}
