package dev.kefu.agent.chat;

import java.util.concurrent.CompletableFuture;

/** How the chat screen reaches stored files: their bytes (cached) and fresh signed URLs, off the UI thread. */
public interface FileAccess {
    FileAccess NONE = new FileAccess() {
        @Override
        public CompletableFuture<byte[]> bytes(String key) {
            return CompletableFuture.failedFuture(new IllegalStateException("no file access"));
        }

        @Override
        public CompletableFuture<String> url(String key) {
            return CompletableFuture.failedFuture(new IllegalStateException("no file access"));
        }
    };

    CompletableFuture<byte[]> bytes(String key);

    CompletableFuture<String> url(String key);
}
