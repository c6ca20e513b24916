## Drip-feed: a service the panel can deliver in runs offers it on the confirmation card

button-dripfeed = 💧 Drip-feed: deliver in runs
order-ask-runs =
    💧 <b>Drip-feed</b>: instead of all at once, your { $quantity } are delivered in several runs, with a pause between runs. Each run delivers { $quantity }, and you pay for every run.

    How many runs? Send a whole number up to <b>{ $maximum }</b>, or 1 to deliver everything at once.
order-ask-interval = ⏱ How many minutes between two runs? Send a whole number from 1 to <b>{ $maximum }</b> (24 hours).
order-runs-invalid = ⚠️ Send the number of runs: a whole number from 1 to { $maximum } (1 delivers everything at once).
order-interval-invalid = ⚠️ Send the minutes between runs: a whole number from { $minimum } to { $maximum }.
# The "Quantity" of a drip-feed order on the confirmation card and the order card.
dripfeed-quantity = { $quantity } × { $runs } runs, every { $interval } min ({ $total } in total)

## Order again, from an order's card

button-order-again = 🔁 Order again
reorder-service-gone = 🔁 Order #{ NUMBER($id, useGrouping: 0) } can't be repeated: this service is no longer available. Please choose another one from 🛒 New order.
reorder-limits-changed = { $limit ->
    [minimum] 🔁 The smallest quantity of this service is now <b>{ $minimum }</b> (your last order had { $previous }).
   *[maximum] 🔁 The largest quantity of this service is now <b>{ $maximum }</b> (your last order had { $previous }).
}
reorder-answer-changed = 🔁 This service changed since your last order, so one answer is needed again.
reorder-dripfeed-unavailable = 🔁 This service no longer offers drip-feed, so this order can't be repeated as it was. Open the service from 🛒 New order to have it delivered at once.
