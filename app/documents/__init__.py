"""Reading attachments: text from documents, parsed in a worker process with memory and CPU limits."""
