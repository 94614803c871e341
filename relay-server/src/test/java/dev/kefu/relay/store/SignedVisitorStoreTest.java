package dev.kefu.relay.store;

import dev.kefu.protocol.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The store's side of signed-in visitors: one canonical visitor per user, found by an index; bindings never move. */
class SignedVisitorStoreTest {
    @TempDir
    Path dir;
    SqliteDatabase db;
    SqliteMessageStore store;

    @BeforeEach
    void open() {
        db = SqliteDatabase.open(dir);
        store = new SqliteMessageStore(db, 1000, 10_000, new SimpleMeterRegistry(), 0);
    }

    @AfterEach
    void close() {
        store.close();
    }

    MessageStore.SignIn signIn(String presented, String user) throws Exception {
        return store.signIn("shop", presented, user).get(10, TimeUnit.SECONDS);
    }

    @Test
    void canonicalVisitorLookup_usesTheIndex() {
        String plan = db.read(c -> {
            StringBuilder out = new StringBuilder();
            try (PreparedStatement ps = c.prepareStatement("EXPLAIN QUERY PLAN SELECT id FROM visitors "
                    + "WHERE site = ? AND user_id = ? ORDER BY first_seen, id LIMIT 1")) {
                ps.setString(1, "shop");
                ps.setString(2, "42");
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.append(rs.getString("detail")).append('\n');
                    }
                }
            }
            return out.toString();
        });
        assertThat(plan).contains("visitors_by_user").doesNotContain("TEMP B-TREE");
    }

    @Test
    void firstIdBecomesTheUsersVisitor_laterIdsAreBoundToIt_anIdOfAnotherUserIsNeverTaken() throws Exception {
        assertThat(signIn("browser-one-000000", "alice")).isEqualTo(new MessageStore.SignIn("browser-one-000000", true));
        assertThat(signIn("browser-two-000000", "alice")).isEqualTo(new MessageStore.SignIn("browser-one-000000", true));
        assertThat(signIn("browser-two-000000", "alice")).isEqualTo(new MessageStore.SignIn("browser-one-000000", false));
        assertThat(store.userOf("shop", "browser-two-000000")).hasValue("alice");

        MessageStore.SignIn bob = signIn("browser-one-000000", "bob");
        assertThat(bob.visitorId()).isNotIn("browser-one-000000", "browser-two-000000");
        assertThat(bob.boundNow()).isFalse();
        assertThat(store.visitorOf("shop", "bob")).hasValue(bob.visitorId());
        assertThat(store.userOf("shop", "browser-one-000000")).as("still alice's").hasValue("alice");
    }

    @Test
    void savingAVisitor_neverRebindsItsIdToAnotherUser() throws Exception {
        signIn("browser-one-000000", "alice");
        store.saveVisitor(new VisitorRecord("shop", "browser-one-000000", "Bob", null, null, "bob", 1L))
                .get(10, TimeUnit.SECONDS);
        assertThat(store.userOf("shop", "browser-one-000000")).hasValue("alice");
        assertThat(store.visitorOf("shop", "bob")).isEmpty();
    }

    AppendResult say(String visitorId, String cid) throws Exception {
        return store.append(new NewMessage(new Sender(Role.VISITOR, visitorId, null, "shop"), null, cid, "text", "hi",
                null), any -> true).get(10, TimeUnit.SECONDS);
    }

    @Test
    void laterDevice_movesItsConversations_inTheBindingsWrite_andAFirstSignInMovesNothing() throws Exception {
        String conv = say("browser-one-000000", "c1").message().conv();
        assertThat(signIn("browser-one-000000", "alice").moved()).as("alice's first id: her visitor").isEmpty();
        assertThat(store.conversation(conv).orElseThrow().visitorId()).isEqualTo("browser-one-000000");

        String laptops = say("browser-two-000000", "c2").message().conv();
        MessageStore.SignIn in = signIn("browser-two-000000", "alice");
        assertThat(in.moved()).extracting(Conversation::id).containsExactly(laptops);
        assertThat(in.moved()).extracting(Conversation::visitorId).containsOnly("browser-one-000000");
        assertThat(store.conversation(laptops).orElseThrow().visitorId()).isEqualTo("browser-one-000000");
        assertThat(signIn("browser-two-000000", "alice").moved()).as("once").isEmpty();
    }

    @Test
    void idFirstSeenBeforeTheUsersFirstSignIn_staysBehindTheUsersVisitor_whenBound() throws Exception {
        // The laptop browsed the shop anonymously long before the user first signed in on the phone.
        store.saveVisitor(new VisitorRecord("shop", "laptop-00000000000", null, null, null, null, 1L))
                .get(10, TimeUnit.SECONDS);
        signIn("phone-000000000000", "alice");
        assertThat(signIn("laptop-00000000000", "alice").visitorId()).isEqualTo("phone-000000000000");
        assertThat(store.visitorOf("shop", "alice")).as("still the phone's").hasValue("phone-000000000000");
    }

    @Test
    void anonymousConnectionOfAMovedId_cannotOpenAConversationUnderIt() throws Exception {
        signIn("phone-000000000000", "alice");
        say("laptop-00000000000", "c1");
        signIn("laptop-00000000000", "alice");
        AppendResult late = say("laptop-00000000000", "c-late");
        assertThat(late.refusal()).isEqualTo(dev.kefu.protocol.ErrorCode.IDENTITY_REQUIRED);
        assertThat(store.visitorHistory("shop", "laptop-00000000000", null, 10)).isEmpty();
    }
}
