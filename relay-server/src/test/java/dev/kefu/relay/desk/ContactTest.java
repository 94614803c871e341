package dev.kefu.relay.desk;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A visitor's contact details as the relay keeps and shows them: {@code conv.contact} holds the
 * contact's own fields, never the {@code contact} frame's {@code type} (nor its {@code conv} or
 * {@code cid}), in {@code conv} frames, {@code welcome} lists, the REST API and the store.
 */
class ContactTest extends RelayTest {
    static final Map<String, String> LEFT = Map.of("name", "李雷 🦊", "email", "li@example.com",
            "phone", "+86 138 0013 8000", "text", "请回电 📞");

    @Test
    void contact_isStoredAndSent_withTheContactsFieldsOnly() throws Exception {
        String vid = RelayFixture.newVisitorId();
        try (WsClient agent = relay.agent("alice"); WsClient visitor = relay.visitor(vid)) {
            agent.next("welcome");
            visitor.next("welcome");
            String conv = visitor.say("请联系我").get("conv").asText();
            visitor.send(new Frame.Contact(conv, LEFT.get("name"), LEFT.get("email"), LEFT.get("phone"),
                    LEFT.get("text"), "k-1"));

            assertThat(fields(visitor.next(ContactTest::hasContact, "the visitor's conv frame").get("conv").get("contact")))
                    .isEqualTo(LEFT);
            assertThat(fields(agent.next(ContactTest::hasContact, "the agent's conv frame").get("conv").get("contact")))
                    .isEqualTo(LEFT);
            try (WsClient later = relay.agent("bob")) {
                assertThat(fields(listed(later.next("welcome").get("conversations"), conv).get("contact"))).isEqualTo(LEFT);
            }
            assertThat(fields(restContact(vid, conv))).isEqualTo(LEFT);
            assertThat(fields(FrameCodec.parse(storedContact(conv)))).isEqualTo(LEFT);
        }
    }

    @Test
    void contactStoredWithTheFrameType_byAnOlderRelay_isSentWithoutIt() throws Exception {
        String vid = RelayFixture.newVisitorId();
        String conv;
        try (WsClient visitor = relay.visitor(vid)) {
            visitor.next("welcome");
            conv = visitor.say("请联系我").get("conv").asText();
        }
        relay.close();
        setStoredContact(conv, "{\"type\":\"contact\",\"name\":\"Li Lei\",\"email\":\"li@example.com\"}");
        relay = RelayFixture.start(data, this::configure);

        Map<String, String> expected = Map.of("name", "Li Lei", "email", "li@example.com");
        try (WsClient agent = relay.agent("alice")) {
            assertThat(fields(listed(agent.next("welcome").get("conversations"), conv).get("contact"))).isEqualTo(expected);
        }
        assertThat(fields(restContact(vid, conv))).isEqualTo(expected);
    }

    private static boolean hasContact(JsonNode f) {
        return "conv".equals(f.path("type").asText()) && f.path("conv").has("contact");
    }

    /** Every field of a contact object, as text: any field beyond the contact's own shows up. */
    private static Map<String, String> fields(JsonNode contact) {
        assertThat(contact).as("a contact").isNotNull();
        Map<String, String> out = new HashMap<>();
        contact.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    private static JsonNode listed(JsonNode conversations, String conv) {
        for (JsonNode c : conversations) {
            if (conv.equals(c.path("id").asText())) {
                return c;
            }
        }
        throw new AssertionError(conv + " not listed in " + conversations);
    }

    /** {@code conv.contact} as {@code GET /api/visitors/{site}/{visitor}/conversations} shows it to an agent. */
    private JsonNode restContact(String vid, String conv) throws Exception {
        HttpResponse<String> r = relay.api("GET", "/api/visitors/" + RelayFixture.SITE + "/" + vid + "/conversations",
                relay.token("alice"), null);
        assertThat(r.statusCode()).isEqualTo(200);
        return listed(FrameCodec.parse(r.body()).get("conversations"), conv).get("contact");
    }

    private String storedContact(String conv) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("kefu.db"));
             PreparedStatement ps = c.prepareStatement("SELECT contact FROM conversations WHERE id = ?")) {
            ps.setString(1, conv);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("conversation " + conv + " stored").isTrue();
                return rs.getString(1);
            }
        }
    }

    private void setStoredContact(String conv, String json) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("kefu.db"));
             PreparedStatement ps = c.prepareStatement("UPDATE conversations SET contact = ? WHERE id = ?")) {
            ps.setString(1, json);
            ps.setString(2, conv);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }
}
