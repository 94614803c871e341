package dev.kefu.agent.login;

import dev.kefu.agent.net.LoginClient;
import dev.kefu.agent.net.LoginException;
import dev.kefu.agent.net.ServerAddress;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/** Logs in off the UI thread and remembers the result as asked. */
public final class LoginService {
    private final LoginClient client;
    private final RememberedLogin remembered;
    private final Executor io;

    public LoginService(LoginClient client, RememberedLogin remembered, Executor io) {
        this.client = client;
        this.remembered = remembered;
        this.io = io;
    }

    /**
     * Fails with a {@link LoginException} (wrapped in a {@link CompletionException}) when the
     * relay refuses or cannot be reached, or an {@link IllegalArgumentException} for a malformed address.
     */
    public CompletableFuture<AgentAccount> login(String server, String username, String password, boolean remember) {
        return CompletableFuture.supplyAsync(() -> {
            ServerAddress address = ServerAddress.parse(server);
            try {
                LoginClient.Result r = client.login(address, username.trim(), password);
                AgentAccount account = new AgentAccount(address, r.username(), r.agentId(), r.name(), r.token(),
                        r.expiresAt(), r.admin());
                remembered.save(account, remember);
                return account;
            } catch (LoginException e) {
                throw new CompletionException(e);
            }
        }, io);
    }

    public CompletableFuture<Optional<AgentAccount>> rememberedAccount() {
        return CompletableFuture.supplyAsync(() -> remembered.account(System.currentTimeMillis()), io);
    }

    /** What to prefill the form with: last server, last username, remember-me. */
    public CompletableFuture<FormDefaults> formDefaults() {
        return CompletableFuture.supplyAsync(() -> new FormDefaults(remembered.lastServer().orElse(null),
                remembered.lastUsername().orElse(null), remembered.rememberMe()), io);
    }

    public CompletableFuture<Void> forgetToken() {
        return CompletableFuture.runAsync(remembered::forgetToken, io);
    }

    /** Prefill values of the login form; the strings may be null. */
    public record FormDefaults(String server, String username, boolean remember) {}
}
