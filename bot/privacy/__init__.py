"""Customers' personal data over its life (PIPL): how long each kind is kept (`rules`, pure; `settings`),
the daily job that deletes or anonymises what has expired (`retention`, `retention_job`), and the
operator's commands that export or erase one customer's data on request (`requests`, `__main__`).
The stores it works on: Rasa's tracker store (`tracker`) and the case store
(bot.case_store.personal_data), opened together by `stores`."""
