## Running as a service

throttled = 🐢 You're sending messages very fast, so some were skipped. Please slow down a little and try again.
