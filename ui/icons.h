#pragma once

#include <QIcon>

namespace roomkeeper::icons {

// The window's icons, painted at run time: the icon theme is not there on every desktop
// (nor offscreen), and the shapes are few.
enum class Glyph
{
    RoomLock, // a padlock
    ChatLock, // a speech bubble, struck through
    Pin,      // a pushpin
    Webhook,  // a hook
    Kick,     // an arrow out of a door
    Ban,      // a circle, struck through
    Create,   // a plus
    Announce, // a megaphone
    Pause,    // two bars
    Limit,    // a person with a bar
    Admin,    // a star
    Color,    // a palette dot
    Close,    // a cross
    Copy,     // two sheets
    Command,  // a prompt
};

QIcon glyph(Glyph glyph);
// Room lock and chat lock side by side, for the rooms view (either may be absent).
QIcon lockState(bool roomLocked, bool chatLocked);
// The application icon; with count >= 0, a badge with that number (the tray).
QIcon application(int count = -1);

} // namespace roomkeeper::icons
