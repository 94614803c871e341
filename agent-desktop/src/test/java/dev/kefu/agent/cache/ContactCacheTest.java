package dev.kefu.agent.cache;

import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.Frame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/** The cache's rules for the contact details a visitor leaves ({@code conv.contact}). */
class ContactCacheTest {
    private static final String VISITOR = "v-1234567890abcdef";
    /** 4-byte UTF-8 (an emoji), Chinese, a line break. */
    private static final String TEXT = "请回电 😊 please call back\nafter 6 pm";

    @TempDir
    Path dir;
    private ChatCache cache;

    @BeforeEach
    void open() {
        cache = ChatCache.open(dir.resolve("cache.db"));
    }

    @AfterEach
    void close() {
        cache.close();
    }

    private static Frame.ConvInfo conv(String status, Frame.Contact contact) {
        return new Frame.ConvInfo("c1", "shop", status, VISITOR, null, null, null, 1, 1000, contact, null, null);
    }

    private static Frame.Contact contact(String name, String email, String phone, String text) {
        return new Frame.Contact(null, name, email, phone, text);
    }

    @Test
    void contact_isKept_andFramesWithoutOneDoNotEraseIt() {
        cache.upsertConversation(conv(ConvStatus.OFFLINE, contact("李雷", "li@example.com", "+86 138 0000 0000", TEXT)));
        cache.upsertConversation(conv(ConvStatus.OPEN, null));

        assertThat(cache.conversation("c1").orElseThrow().contact())
                .isEqualTo(new ContactDetails("李雷", "li@example.com", "+86 138 0000 0000", TEXT));
    }

    @Test
    void newerContact_replacesTheWholeOne_emptyFieldsAreNull() {
        cache.upsertConversation(conv(ConvStatus.OFFLINE, contact("李雷", "li@example.com", "+86 138 0000 0000", TEXT)));
        cache.upsertConversation(conv(ConvStatus.OFFLINE, contact("Li Lei", "", null, "   ")));

        assertThat(cache.conversation("c1").orElseThrow().contact())
                .isEqualTo(new ContactDetails("Li Lei", null, null, null));
    }

    @Test
    void contactWithOnlyEmptyFields_isNoContact_andKeepsTheOneHeld() {
        cache.upsertConversation(conv(ConvStatus.OFFLINE, contact("", " ", null, null)));
        assertThat(cache.conversation("c1").orElseThrow().hasContact()).isFalse();

        cache.upsertConversation(conv(ConvStatus.OFFLINE, contact(null, null, "138", null)));
        cache.upsertConversation(conv(ConvStatus.OFFLINE, contact("", null, null, "")));
        assertThat(cache.conversation("c1").orElseThrow().contact()).isEqualTo(new ContactDetails(null, null, "138", null));
    }

    @Test
    void contactName_namesTheVisitor_whenTheRelayGivesNoName() {
        cache.upsertConversation(conv(ConvStatus.OFFLINE, contact("王小明", null, "138", null)));
        assertThat(cache.conversation("c1").orElseThrow().visitorLabel()).isEqualTo("王小明");

        cache.upsertConversation(new Frame.ConvInfo("c1", "shop", ConvStatus.OFFLINE, VISITOR, "Wang (online)", null, null,
                1, 1000));
        assertThat(cache.conversation("c1").orElseThrow().visitorLabel()).isEqualTo("Wang (online)");
    }

    @Test
    void listedConversation_newToTheCache_bringsItsContact() {
        cache.takeListedConversation(conv(ConvStatus.CLOSED, contact("李雷", null, "138", TEXT)));
        assertThat(cache.conversationsOfVisitor(VISITOR)).extracting(Conversation::contact)
                .containsExactly(new ContactDetails("李雷", null, "138", TEXT));
    }

    @Test
    void restoredRelay_forgetsTheContact_asItsOtherHistory() {
        cache.upsertConversation(conv(ConvStatus.OFFLINE, contact("李雷", null, "138", TEXT)));
        cache.addPending("c1", "c-1", new Frame.Party("agent", "a-me", "Me"), "queued reply", "{}");

        cache.forgetHistory();

        assertThat(cache.conversation("c1").orElseThrow().hasContact()).isFalse();
    }

    @Test
    void cacheFromTheVersionBeforeContacts_opens_keepsItsConversations_andTakesContacts() throws Exception {
        Path old = dir.resolve("v3.db");
        try (Connection c = SqliteFile.open(old, ChatCache.MIGRATIONS.subList(0, 3)); Statement st = c.createStatement()) {
            st.execute("INSERT INTO conversations(id, site, status, visitor_id, visitor_name, last_seq, created_at, "
                    + "rating, rating_comment) VALUES ('c1', 'shop', 'closed', '" + VISITOR + "', 'Li Lei', 3, 1000, 5, '好')");
        }
        try (ChatCache upgraded = ChatCache.open(old)) {
            Conversation before = upgraded.conversation("c1").orElseThrow();
            assertThat(before.visitorLabel()).isEqualTo("Li Lei");
            assertThat(before.rating()).isEqualTo(5);
            assertThat(before.hasContact()).isFalse();

            upgraded.upsertConversation(conv(ConvStatus.CLOSED, contact("李雷", null, null, TEXT)));
            assertThat(upgraded.conversation("c1").orElseThrow().contact()).isEqualTo(new ContactDetails("李雷", null, null, TEXT));
        }
        try (ChatCache reopened = ChatCache.open(old)) {
            assertThat(reopened.conversation("c1").orElseThrow().contact().text()).isEqualTo(TEXT);
        }
    }
}
