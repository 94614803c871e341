package dev.kefu.agent.login;

import dev.kefu.agent.cache.SettingsStore;
import dev.kefu.agent.net.ServerAddress;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The last login, kept in the data folder's settings: the relay address and username always
 * (to fill in the form), the token only with "remember me". The password is never written anywhere.
 * Blocking (SQLite): call off the UI thread.
 */
public final class RememberedLogin {
    static final String SERVER = "login.server";
    static final String USERNAME = "login.username";
    static final String REMEMBER = "login.remember";
    static final String TOKEN = "login.token";
    static final String EXPIRES = "login.expiresAt";
    static final String AGENT_ID = "login.agentId";
    static final String AGENT_NAME = "login.agentName";
    static final String ADMIN = "login.admin";

    private final SettingsStore store;

    public RememberedLogin(SettingsStore store) {
        this.store = store;
    }

    public Optional<String> lastServer() {
        return store.get(SERVER);
    }

    public Optional<String> lastUsername() {
        return store.get(USERNAME);
    }

    public boolean rememberMe() {
        return store.get(REMEMBER).map(Boolean::parseBoolean).orElse(true);
    }

    /** The remembered account, when "remember me" was on and the token has not expired. */
    public Optional<AgentAccount> account(long nowMs) {
        Map<String, String> all = store.all();
        String token = all.get(TOKEN);
        if (token == null || all.get(SERVER) == null || all.get(AGENT_ID) == null) {
            return Optional.empty();
        }
        AgentAccount a = new AgentAccount(ServerAddress.parse(all.get(SERVER)), all.get(USERNAME), all.get(AGENT_ID),
                all.getOrDefault(AGENT_NAME, all.get(USERNAME)), token, parseLong(all.get(EXPIRES)),
                Boolean.parseBoolean(all.get(ADMIN)));
        return a.expired(nowMs) ? Optional.empty() : Optional.of(a);
    }

    public void save(AgentAccount account, boolean remember) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put(SERVER, account.server().toString());
        values.put(USERNAME, account.username());
        values.put(REMEMBER, String.valueOf(remember));
        values.put(TOKEN, remember ? account.token() : null);
        values.put(EXPIRES, remember ? String.valueOf(account.expiresAt()) : null);
        values.put(AGENT_ID, remember ? account.agentId() : null);
        values.put(AGENT_NAME, remember ? account.agentName() : null);
        values.put(ADMIN, remember ? String.valueOf(account.admin()) : null);
        store.putAll(values);
    }

    /** Forgets the token (log out, or the relay refused it); address and username stay. */
    public void forgetToken() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put(TOKEN, null);
        values.put(EXPIRES, null);
        values.put(AGENT_ID, null);
        values.put(AGENT_NAME, null);
        values.put(ADMIN, null);
        store.putAll(values);
    }

    private static long parseLong(String s) {
        try {
            return s == null ? 0 : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
