package dev.kefu.agent.cache;

import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.Frame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

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

    /** Conversation {@code id} of its own visitor, last active at {@code createdAt}, with {@code contact}. */
    private static Frame.ConvInfo conv(String id, long createdAt, Frame.Contact contact) {
        return new Frame.ConvInfo(id, "shop", ConvStatus.CLOSED, "v-" + id, null, null, null, 0, createdAt, contact, null, null);
    }

    @ParameterizedTest(name = "{0} finds the {1}")
    @CsvSource({
            "Xiaoming.Wang@Example.com, EMAIL, xiaoming.wang@example.com",
            "example.com, EMAIL, xiaoming.wang@example.com",
            "+86 138 0013 8000, PHONE, +86 138-0013-8000",
            "13800138000, PHONE, +86 138-0013-8000",
            "0013-8000, PHONE, +86 138-0013-8000",
            "王小明, NAME, 王小明",
            "after 6 pm, TEXT, (TEXT)"
    })
    void search_findsTheConversation_byAContactField(String query, SearchHit.ContactField field, String value) {
        cache.upsertConversation(conv("c1", 1000, contact("王小明", "xiaoming.wang@example.com", "+86 138-0013-8000", TEXT)));
        cache.upsertConversation(conv("c2", 2000, contact("李雷", "lilei@example.cn", "139 0000 0000", null)));

        assertThat(cache.search(query, 10)).containsExactly(
                new SearchHit("c1", "王小明", 0, null, "(TEXT)".equals(value) ? TEXT : value, 1000, field));
    }

    @Test
    void search_listsContactHitsFirst_newestFirst_thenMessages_withinTheLimit() {
        cache.upsertConversation(conv("c1", 1000, contact("Li Lei", "li@example.com", null, null)));
        cache.upsertConversation(conv("c2", 3000, contact(null, "li@example.org", null, null)));
        cache.upsertConversation(conv("c3", 500, null));
        cache.storeMessage(new Frame.Msg("c3", 1, "v1", new Frame.Party("visitor", "v-c3", null), "text",
                "my email is li@example.com", null, 5000), "a-me");

        assertThat(cache.search("li@example", 10)).extracting(SearchHit::conv, SearchHit::seq, SearchHit::contactField)
                .containsExactly(tuple("c2", 0L, SearchHit.ContactField.EMAIL), tuple("c1", 0L, SearchHit.ContactField.EMAIL),
                        tuple("c3", 1L, null));
        assertThat(cache.search("li@example", 2)).extracting(SearchHit::conv).containsExactly("c2", "c1");
        assertThat(cache.search("li@example", 10).get(1).visitorLabel()).isEqualTo("Li Lei");
    }

    @Test
    void search_byDigits_findsNoPhoneThatOnlyHasThemApart_andTooFewDigitsMatchOnlyAsWritten() {
        cache.upsertConversation(conv("c1", 1000, contact(null, null, "138 0013 9000", null)));

        assertThat(cache.search("13900138000", 10)).isEmpty();
        assertThat(cache.search("3 9", 10)).hasSize(1);
        assertThat(cache.search("39", 10)).as("two digits: as written only").isEmpty();
        assertThat(cache.search("0139", 10)).as("three or more: by the digits").hasSize(1);
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
