## Running as a service

throttled = 🐢 You're sending messages very fast — please slow down a little; I'll answer in a moment.
