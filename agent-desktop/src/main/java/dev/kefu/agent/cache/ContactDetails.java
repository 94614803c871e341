package dev.kefu.agent.cache;

import dev.kefu.protocol.Frame;

/**
 * What a visitor wrote into the widget's contact form (leave-a-message, or during a chat): the relay's
 * {@code conv.contact}, kept with its conversation. Each field is null when the visitor left it empty
 * (blank counts as empty); at least one is not. The relay keeps one per conversation: a later form
 * replaces the earlier one.
 *
 * @param text what the visitor wrote in the form's message box; may be long and hold line breaks
 */
public record ContactDetails(String name, String email, String phone, String text) {

    public ContactDetails {
        name = orNull(name);
        email = orNull(email);
        phone = orNull(phone);
        text = orNull(text);
    }

    /** The contact of a {@code conv} frame; null when it has none, or only empty fields. */
    public static ContactDetails of(Frame.Contact c) {
        return c == null ? null : orNull(new ContactDetails(c.name(), c.email(), c.phone(), c.text()));
    }

    /** {@code c}, or null when every field is empty. */
    static ContactDetails orNull(ContactDetails c) {
        return c == null || (c.name == null && c.email == null && c.phone == null && c.text == null) ? null : c;
    }

    private static String orNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
