# The Mini App (bot/web). Messages whose id starts with webapp- are also sent to the page
# (GET /api/strings), which fills in { $name } itself: keep those free of selectors and
# functions (NUMBER, plurals), and plain text (no HTML).

## Chat

menu-open-shop = 🛍 Open shop
webapp-menu-button = Shop

## Pages

webapp-title = Shop
webapp-loading = Loading…
webapp-balance = Balance: { $balance }
webapp-tab-catalog = Catalog
webapp-tab-orders = My orders
webapp-admin-link = Dashboard
webapp-search-placeholder = Search services…
webapp-search-label = Search
webapp-no-results = Nothing found. Try another word.
webapp-catalog-empty = The catalog is empty right now. Please try again a little later.
webapp-price-per-1000 = { $price } per 1000
webapp-price-per-package = { $price } per package
webapp-quantity-range = Quantity { $min } – { $max }
webapp-refill = Refill
webapp-cancel = Cancel
webapp-form-link = Link
webapp-form-quantity = Quantity ({ $min } – { $max })
webapp-form-comments = Comments, one per line ({ $min } – { $max })
webapp-form-dripfeed = 💧 Drip-feed: deliver in runs
webapp-form-runs = Runs
webapp-form-interval = Minutes between runs
webapp-form-answer = Answer number
webapp-estimate = About { $price }
webapp-form-submit = Get the price
webapp-form-back = ← Catalog
webapp-confirm-title = Check your order
webapp-confirm-service = Service
webapp-confirm-quantity = Quantity
webapp-confirm-price = Price
webapp-confirm-discount = Promo code { $code } ({ $percent }% off)
webapp-confirm-balance = Balance now
webapp-confirm-after = After payment
webapp-confirm-pay = Confirm and pay
webapp-confirm-edit = Change
webapp-confirm-not-enough = Not enough balance for this order. Top up in the chat with /topup, then confirm again.
webapp-view-orders = See my orders
webapp-orders-empty = No orders yet. Pick a service in the catalog.
webapp-order-title = Order #{ $id }
webapp-order-quantity = Quantity: { $quantity }
webapp-orders-more = Show more
webapp-error-network = Could not reach the shop. Check your connection and try again.
webapp-open-in-telegram = Open this page from the bot in Telegram.

## Dashboard

webapp-admin-title = Dashboard
webapp-admin-period = Last 30 days
webapp-admin-orders = Orders
webapp-admin-revenue = Revenue
webapp-admin-cost = Panel cost
webapp-admin-profit = Profit
webapp-admin-chart-orders = Orders per day
webapp-admin-chart-profit = Profit per day
webapp-admin-to-settle = Orders to settle
webapp-admin-none-to-settle = No orders are waiting to be settled.
webapp-admin-user = User { $user_id }
webapp-admin-panel-id = Panel order id
webapp-admin-panel = Panel the order is on
webapp-admin-placed = It is on the panel
webapp-admin-failed = Not on the panel: refund
webapp-admin-back = ← Shop
webapp-admin-only = This page is for the shop's admins.

## API errors

webapp-error-unauthorized = Please open the shop from the bot in Telegram: your sign-in is missing or has expired.
webapp-error-admin-only = Only the shop's admins can do that.
webapp-error-not-found = There is no such page.
webapp-error-method = This address does not accept that kind of request.
webapp-error-too-large = The request is too large.
webapp-error-bad-json = The request must be a JSON object.
webapp-error-field = The field “{ $name }” is missing or not valid.
webapp-error-parameter = The parameter “{ $name }” must be a whole number from { $minimum } to { $maximum }.
webapp-error-status = Unknown status. Use one of: { $statuses }.
webapp-error-settle-body = Send either the panel's order id (with several panels, optionally the panel it is on) or “failed”: true.
webapp-error-slow-down = Too many requests at once. Please wait a moment.
webapp-error-quote-expired = This price is out of date. Please get a new one.

## The /stats chart (its titles are webapp-admin-chart-orders and -profit)

stats-chart-caption = 📈 Orders and profit per day, last 30 days (UTC)
