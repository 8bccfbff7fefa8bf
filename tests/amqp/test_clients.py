"""aio-pika, kombu and py-amqp against polystack."""

from __future__ import annotations

import asyncio
import uuid

import aio_pika
import amqp
import kombu
import pytest


def name(prefix: str = "q") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_aio_pika_publish_consume_confirm_and_rpc(amqp_port):
    async def main():
        conn = await aio_pika.connect_robust(f"amqp://guest:guest@127.0.0.1:{amqp_port}/")
        async with conn:
            ch = await conn.channel(publisher_confirms=True)
            await ch.set_qos(prefetch_count=10)
            x = await ch.declare_exchange(name("x"), aio_pika.ExchangeType.TOPIC)
            q = await ch.declare_queue(name(), exclusive=True)
            await q.bind(x, "a.#")
            for i in range(5):
                await x.publish(aio_pika.Message(b"m%d" % i, delivery_mode=2), routing_key="a.b")
            got = []
            async with q.iterator() as it:
                async for msg in it:
                    async with msg.process():
                        got.append(msg.body)
                    if len(got) == 5:
                        break
            assert got == [b"m%d" % i for i in range(5)]
            # RPC over direct reply-to
            server_q = await ch.declare_queue(name(), exclusive=True)

            async def serve(msg: aio_pika.IncomingMessage):
                async with msg.process():
                    await ch.default_exchange.publish(
                        aio_pika.Message(msg.body.upper(), correlation_id=msg.correlation_id),
                        routing_key=msg.reply_to,
                    )

            await server_q.consume(serve)
            reply_q = await ch.get_queue("amq.rabbitmq.reply-to", ensure=False)
            fut = asyncio.get_running_loop().create_future()

            async def on_reply(msg: aio_pika.IncomingMessage):
                fut.set_result(msg.body)

            await reply_q.consume(on_reply, no_ack=True)
            await ch.default_exchange.publish(
                aio_pika.Message(b"ping", reply_to="amq.rabbitmq.reply-to", correlation_id="1"),
                routing_key=server_q.name,
            )
            assert await asyncio.wait_for(fut, 5) == b"PING"
            with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
                await ch.declare_queue(name("missing"), passive=True)

    asyncio.run(main())


def test_kombu_producer_consumer_patterns(amqp_port):
    url = f"amqp://guest:guest@127.0.0.1:{amqp_port}//"
    exchange = kombu.Exchange(name("kx"), type="direct", durable=True)
    queue = kombu.Queue(name("kq"), exchange, routing_key="task", durable=True)
    with kombu.Connection(url) as conn:
        producer = conn.Producer(serializer="json")
        for i in range(10):
            producer.publish({"n": i}, exchange=exchange, routing_key="task", declare=[queue],
                             retry=True)  # fmt: skip
        received = []

        def on_message(body, message):
            received.append(body["n"])
            message.ack()

        with conn.Consumer(queue, callbacks=[on_message], prefetch_count=3):
            while len(received) < 10:
                conn.drain_events(timeout=5)
        assert received == list(range(10))
        # SimpleQueue (kombu's own get/put pattern)
        sq = conn.SimpleQueue(name("simple"))
        sq.put({"hello": "world"})
        msg = sq.get(block=True, timeout=5)
        assert msg.payload == {"hello": "world"}
        msg.ack()
        sq.close()


def test_py_amqp_basic_operations(amqp_port):
    conn = amqp.Connection(f"127.0.0.1:{amqp_port}")
    conn.connect()
    try:
        ch = conn.channel()
        q, _, _ = ch.queue_declare(name(), exclusive=True)
        ch.confirm_select()
        ch.basic_publish(amqp.Message("hi", content_type="text/plain"), routing_key=q)
        msg = ch.basic_get(q)
        assert msg.body == "hi" and msg.properties["content_type"] == "text/plain"
        ch.basic_ack(msg.delivery_tag)
        assert ch.basic_get(q) is None
        with pytest.raises(amqp.exceptions.NotFound):
            ch.queue_declare(name("missing"), passive=True)
    finally:
        conn.close()
