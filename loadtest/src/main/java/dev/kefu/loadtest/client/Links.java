package dev.kefu.loadtest.client;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Short, countable descriptions of why a link ended. */
final class Links {
    private Links() {}

    /** The innermost cause's class name, e.g. {@code ConnectException}. */
    static String describe(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        while (c.getCause() != null && c.getCause() != c && c.getClass().getName().startsWith("org.eclipse.jetty")) {
            c = c.getCause();
        }
        return c.getClass().getSimpleName();
    }
}
