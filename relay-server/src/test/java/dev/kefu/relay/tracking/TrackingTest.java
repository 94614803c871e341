package dev.kefu.relay.tracking;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;


import static org.assertj.core.api.Assertions.assertThat;

class TrackingTest extends RelayTest {

    @Test
    void agentsSeeVisitorsComeBrowseAndLeave() throws Exception {
        String vid = RelayFixture.newVisitorId();
        try (WsClient agent = relay.agent("alice")) {
            agent.next("welcome");
            assertThat(agent.next("visitors").get("visitors")).isEmpty();

            WsClient visitor = relay.visitor(vid);
            visitor.next("welcome");
            JsonNode online = agent.next("visitor");
            assertThat(online.get("event").asText()).isEqualTo("online");
            assertThat(online.get("visitor").get("id").asText()).isEqualTo(vid);
            assertThat(online.get("visitor").get("attrs").get("plan").asText()).isEqualTo("pro");
            assertThat(online.get("visitor").get("ip").asText()).isEqualTo("127.0.0.1");

            visitor.send(new Frame.PageView("https://shop.example/shoes?id=7", "红色跑鞋 - Shop", "https://search.example/?q=shoes"));
            JsonNode page = agent.next("visitor");
            assertThat(page.get("event").asText()).isEqualTo("page");
            assertThat(page.get("visitor").get("page").get("url").asText()).isEqualTo("https://shop.example/shoes?id=7");
            assertThat(page.get("visitor").get("page").get("title").asText()).isEqualTo("红色跑鞋 - Shop");
            assertThat(page.get("visitor").get("referrer").asText()).isEqualTo("https://search.example/?q=shoes");
            assertThat(page.get("visitor").get("pages").asInt()).isEqualTo(1);

            try (WsClient lateAgent = relay.agent("bob")) {
                lateAgent.next("welcome");
                JsonNode list = lateAgent.next("visitors");
                assertThat(list.get("visitors")).hasSize(1);
                assertThat(list.get("visitors").get(0).get("page").get("url").asText()).isEqualTo("https://shop.example/shoes?id=7");
            }

            visitor.close();
            JsonNode offline = agent.next("visitor");
            assertThat(offline.get("event").asText()).isEqualTo("offline");
            assertThat(offline.get("visitor").get("id").asText()).isEqualTo(vid);
        }
    }

    @Test
    void visitorWithTwoTabs_isOnlineOnce_andOfflineWhenTheLastCloses() throws Exception {
        String vid = RelayFixture.newVisitorId();
        try (WsClient agent = relay.agent("alice")) {
            agent.next("welcome");
            agent.next("visitors");
            WsClient tab1 = relay.visitor(vid);
            tab1.next("welcome");
            WsClient tab2 = relay.visitor(vid);
            tab2.next("welcome");
            assertThat(agent.next("visitor").get("event").asText()).isEqualTo("online");
            tab1.close();
            tab2.send(new Frame.PageView("https://shop.example/cart", "Cart", null));
            assertThat(agent.next("visitor").get("event").asText()).isEqualTo("page"); // no offline in between
            tab2.close();
            assertThat(agent.next("visitor").get("event").asText()).isEqualTo("offline");
        }
    }

    @Test
    void agentLimitedToAnotherSite_doesNotSeeThisSitesVisitors() throws Exception {
        try (WsClient carol = relay.agent("carol")) {
            carol.next("welcome");
            carol.next("visitors");
            try (WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
                visitor.next("welcome");
                visitor.send(new Frame.PageView("https://shop.example/", "Shop", null));
                visitor.send(new Frame.Ping());
                visitor.next("pong");
            }
            carol.send(new Frame.Ping());
            carol.next("pong");
            assertThat(carol.drain()).noneMatch(f -> "visitor".equals(f.path("type").asText()));
        }
    }
}
