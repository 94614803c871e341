package dev.kefu.loadtest.client;

/** Message texts like real chat: about 60 characters, mixed scripts, an emoji (4 bytes in UTF-8). */
final class Bodies {
    private Bodies() {}

    static String visitor(long n) {
        return "您好，请问订单 " + (100_000 + n % 900_000) + " 什么时候发货？下午要用 🙂 Is it shipped yet? Thanks!";
    }

    static String agent(long n) {
        return "您好！订单 " + (100_000 + n % 900_000) + " 今天下午发出，明天送达 📦 It ships this afternoon.";
    }
}
