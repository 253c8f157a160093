"""Live chat between a customer and an agent: a chat-channel ticket while it runs.

``services`` holds the writes (start, send, accept, end, switch to email or phone, presence,
the transcript), ``selectors`` the reads shaped for the chat page, its fragments and the
agents' console. The views are in ``tickets.chat_views``.
"""
