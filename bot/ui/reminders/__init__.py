"""The Discord side of reminders: rendering posts (``render``) and the opt-in ping role
(``ping``); the sender lives with the other reactions in :mod:`bot.ui.reactions`."""
