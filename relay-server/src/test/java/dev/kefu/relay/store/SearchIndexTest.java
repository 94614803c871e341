package dev.kefu.relay.store;

import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The full-text index follows the messages a moment behind their commits: a message's transaction
 * only lists it, listed messages are indexed in batches, a search indexes what is listed first, and
 * what a crash left listed is indexed after the restart.
 */
class SearchIndexTest {
    final Sender visitor = new Sender(Role.VISITOR, "v1", "访客", "shop");

    @TempDir
    Path dir;
    SqliteDatabase db;
    SqliteMessageStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    void open(long indexEveryMs) {
        db = SqliteDatabase.open(dir);
        store = new SqliteMessageStore(db, 1000, 10_000, new SimpleMeterRegistry(), indexEveryMs);
    }

    String send(String conv, String cid, String body) throws Exception {
        return store.append(new NewMessage(visitor, conv, cid, MessageKind.TEXT, body, null), c -> true)
                .get(10, TimeUnit.SECONDS).message().conv();
    }

    HistoryStore history() {
        return new HistoryStore(db, store::indexForSearch);
    }

    long count(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("kefu.db"));
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aStoredMessage_isListedNotIndexed_andASearchFindsItAtOnce() throws Exception {
        open(0); // no timer: only a search brings the index up to date
        String conv = send(null, "c1", "我的订单还没到 📦");
        send(conv, "c2", "order number 12345");

        assertThat(count("SELECT count(*) FROM search_backlog")).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM messages_fts")).as("nothing indexed in the messages' commits").isZero();

        assertThat(history().search("订单还没", null, null, null, null, null, 10))
                .extracting(h -> h.message().cid()).containsExactly("c1");
        assertThat(history().search("12345", null, null, null, null, null, 10))
                .extracting(h -> h.message().body()).containsExactly("order number 12345");
        assertThat(count("SELECT count(*) FROM search_backlog")).isZero();
        assertThat(count("SELECT count(*) FROM messages_fts")).isEqualTo(2);
    }

    @Test
    void whatACrashLeftListed_isIndexedAfterTheRestart() throws Exception {
        open(0);
        String conv = send(null, "c1", "first words 😀");
        for (int i = 2; i <= 30; i++) {
            send(conv, "c" + i, "message number " + i);
        }
        store.close(); // listed, never indexed: as after a kill
        store = null;
        assertThat(count("SELECT count(*) FROM search_backlog")).isEqualTo(30);

        open(0);
        assertThat(history().search("words 😀", null, null, null, null, null, 10)).hasSize(1);
        assertThat(history().search("message number", null, null, null, null, null, 100)).hasSize(29);
        assertThat(count("SELECT count(*) FROM search_backlog")).isZero();
        assertThat(count("SELECT count(*) FROM messages_fts")).as("each message indexed once").isEqualTo(30);
    }

    @Test
    void theTimer_indexesWithoutASearch() throws Exception {
        open(20);
        LinkedBlockingQueue<Integer> batches = new LinkedBlockingQueue<>();
        store.onBatch(() -> batches.add(1));
        String conv = send(null, "c1", "hello there");
        send(conv, "c2", "second message");

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (count("SELECT count(*) FROM search_backlog") > 0 && System.nanoTime() < deadline) {
            batches.poll(1, TimeUnit.SECONDS); // the next committed batch, the indexer's among them
        }
        assertThat(count("SELECT count(*) FROM search_backlog")).isZero();
        assertThat(count("SELECT count(*) FROM messages_fts")).isEqualTo(2);
    }

    @Test
    void aRecalledMessage_isNotFound() throws Exception {
        open(0);
        String conv = send(null, "c1", "please forget this sentence");
        assertThat(history().search("forget this", null, null, null, null, null, 10)).hasSize(1);

        RecallResult r = store.recall(conv, 1, visitor.key(), 60_000, c -> true).get(10, TimeUnit.SECONDS);
        assertThat(r.isRefused()).isFalse();
        assertThat(history().search("forget this", null, null, null, null, null, 10)).isEmpty();

        send(conv, "c2", "please forget this too");
        assertThat(history().search("forget this", null, null, null, null, null, 10))
                .extracting(h -> h.message().cid()).containsExactly("c2");
    }
}
