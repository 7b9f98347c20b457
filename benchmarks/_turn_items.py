"""The two items one agent turn appends (realistic sizes), shared by the benchmark workers."""

USER = {
    "role": "user",
    "content": (
        "I'm planning a three-day trip to Lisbon in early May with my partner. We like food "
        "markets, viewpoints and a bit of history, but we don't want to rush. Could you "
        "suggest a relaxed itinerary, and tell me which days need advance bookings?"
    ),
}
ASSISTANT = {
    "id": "msg_0123456789abcdef0123456789abcdef",
    "type": "message",
    "role": "assistant",
    "status": "completed",
    "content": [
        {
            "type": "output_text",
            "annotations": [],
            "text": (
                "Here's a relaxed plan. Day 1: Alfama and the castle in the morning, lunch at "
                "the Time Out Market, then the Miradouro da Senhora do Monte at sunset. Day 2: "
                "Belém (the monastery opens at 9:30; book tickets online), pastéis de Belém, "
                "and the MAAT riverside walk; dinner in Cais do Sodré. Day 3: a day trip to "
                "Sintra: book Pena Palace for the first slot, take the 8:41 train from Rossio, "
                "and keep the afternoon for Quinta da Regaleira. Book ahead for Pena Palace "
                "and the Belém monastery; everything else can be decided on the day. "
            )
            * 2,
        }
    ],
}
