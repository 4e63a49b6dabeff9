"""`snowbatch demo`: the tabular flow (`tabular`) and the files and chat flows (`files`) on a fresh local
account, driven through a real MCP client."""
