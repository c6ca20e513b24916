# Мини-приложение (bot/web). Сообщения с id на webapp- отдаются и странице
# (GET /api/strings), которая сама подставляет { $name }: без селекторов и функций
# (NUMBER, множественные формы) и без HTML.

## Чат

menu-open-shop = 🛍 Открыть магазин
webapp-menu-button = Магазин

## Страницы

webapp-title = Магазин
webapp-loading = Загрузка…
webapp-balance = Баланс: { $balance }
webapp-tab-catalog = Каталог
webapp-tab-orders = Мои заказы
webapp-admin-link = Панель
webapp-search-placeholder = Поиск услуг…
webapp-search-label = Поиск
webapp-no-results = Ничего не найдено. Попробуйте другое слово.
webapp-catalog-empty = Каталог сейчас пуст. Загляните чуть позже.
webapp-price-per-1000 = { $price } за 1000
webapp-price-per-package = { $price } за пакет
webapp-quantity-range = Количество { $min } – { $max }
webapp-refill = Докрутка
webapp-cancel = Отмена
webapp-form-link = Ссылка
webapp-form-quantity = Количество ({ $min } – { $max })
webapp-form-comments = Комментарии, по одному в строке ({ $min } – { $max })
webapp-form-dripfeed = 💧 Частями: доставка в несколько запусков
webapp-form-runs = Сколько запусков
webapp-form-interval = Минут между запусками
webapp-form-answer = Номер ответа
webapp-estimate = Примерно { $price }
webapp-form-submit = Узнать цену
webapp-form-back = ← Каталог
webapp-confirm-title = Проверьте заказ
webapp-confirm-service = Услуга
webapp-confirm-quantity = Количество
webapp-confirm-price = Цена
webapp-confirm-discount = Промокод { $code } (скидка { $percent }%)
webapp-confirm-balance = Баланс сейчас
webapp-confirm-after = После оплаты
webapp-confirm-pay = Подтвердить и оплатить
webapp-confirm-edit = Изменить
webapp-confirm-not-enough = На балансе не хватает денег на этот заказ. Пополните его в чате командой /topup и подтвердите снова.
webapp-view-orders = Мои заказы
webapp-orders-empty = Заказов пока нет. Выберите услугу в каталоге.
webapp-order-title = Заказ №{ $id }
webapp-order-quantity = Количество: { $quantity }
webapp-orders-more = Показать ещё
webapp-error-network = Не удалось связаться с магазином. Проверьте соединение и попробуйте ещё раз.
webapp-open-in-telegram = Откройте эту страницу из бота в Telegram.

## Панель

webapp-admin-title = Панель
webapp-admin-period = Последние 30 дней
webapp-admin-orders = Заказы
webapp-admin-revenue = Выручка
webapp-admin-cost = Расходы панели
webapp-admin-profit = Прибыль
webapp-admin-chart-orders = Заказы по дням
webapp-admin-chart-profit = Прибыль по дням
webapp-admin-to-settle = Заказы на проверку
webapp-admin-none-to-settle = Нет заказов, ожидающих проверки.
webapp-admin-user = Пользователь { $user_id }
webapp-admin-panel-id = Номер заказа в панели
webapp-admin-panel = Панель, где найден заказ
webapp-admin-placed = Он есть в панели
webapp-admin-failed = Его нет в панели: вернуть деньги
webapp-admin-back = ← Магазин
webapp-admin-only = Эта страница — для администраторов магазина.

## Ошибки API

webapp-error-unauthorized = Откройте магазин из бота в Telegram: вход не выполнен или устарел.
webapp-error-admin-only = Это могут делать только администраторы магазина.
webapp-error-not-found = Такой страницы нет.
webapp-error-method = Этот адрес не принимает такой запрос.
webapp-error-too-large = Слишком большой запрос.
webapp-error-bad-json = Запрос должен быть объектом JSON.
webapp-error-field = Поле «{ $name }» не заполнено или заполнено неверно.
webapp-error-parameter = Параметр «{ $name }» должен быть целым числом от { $minimum } до { $maximum }.
webapp-error-status = Неизвестный статус. Допустимые: { $statuses }.
webapp-error-settle-body = Укажите номер заказа в панели (если панелей несколько, можно и панель, где он найден) или «failed»: true.
webapp-error-slow-down = Слишком много запросов сразу. Подождите немного.
webapp-error-quote-expired = Эта цена устарела. Узнайте новую.

## График в /stats (его заголовки — webapp-admin-chart-orders и -profit)

stats-chart-caption = 📈 Заказы и прибыль по дням за последние 30 дней (UTC)
