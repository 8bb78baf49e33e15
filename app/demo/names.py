"""Common first names and surnames for synthetic people (no real person is meant).

Mentors get Danish names; newcomers names common in their first language's community.
"""

from __future__ import annotations

DANISH = (
    (
        "Anne", "Mette", "Kirsten", "Hanne", "Helle", "Susanne", "Lene", "Maria", "Marianne",
        "Camilla", "Louise", "Julie", "Emma", "Ida", "Sofie", "Freja", "Laura", "Karen",
        "Inge", "Lone", "Pia", "Trine", "Signe", "Line", "Birgitte", "Charlotte",
    ),
    (
        "Peter", "Jens", "Lars", "Michael", "Henrik", "Søren", "Thomas", "Jan", "Niels",
        "Rasmus", "Anders", "Martin", "Morten", "Jesper", "Mads", "Christian", "Frederik",
        "Mikkel", "Kasper", "Emil", "Oliver", "Magnus", "Bo", "Ole", "Torben", "Kim",
    ),
    (
        "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen",
        "Sørensen", "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen",
        "Thomsen", "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen", "Knudsen",
        "Jakobsen", "Mikkelsen", "Lund", "Holm", "Schmidt", "Frederiksen", "Laursen",
    ),
)  # fmt: skip

_ARABIC = (
    ("Fatima", "Amira", "Layla", "Noor", "Rania", "Huda", "Mariam", "Salma"),
    ("Ahmad", "Mohammad", "Omar", "Khaled", "Yousef", "Hassan", "Ali", "Karim"),
    ("Al-Hassan", "Haddad", "Khalil", "Mansour", "Nasser", "Saleh", "Darwish", "Hamdan"),
)
_UKRAINIAN = (
    ("Olena", "Iryna", "Natalia", "Oksana", "Kateryna", "Anastasia", "Yulia", "Svitlana"),
    ("Oleksandr", "Andrii", "Dmytro", "Serhii", "Mykola", "Ivan", "Yurii", "Taras"),
    ("Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Kravchenko", "Melnyk", "Boiko"),
)
_TIGRINYA = (
    ("Selam", "Helen", "Senait", "Lidia", "Mebrat", "Saba", "Winta"),
    ("Yonas", "Daniel", "Tesfay", "Samuel", "Berhane", "Filmon", "Robel"),
    ("Tesfamariam", "Gebremedhin", "Habte", "Kidane", "Berhe", "Tekle", "Haile"),
)
_PERSIAN = (
    ("Zahra", "Maryam", "Fereshta", "Shabnam", "Parisa", "Nasrin", "Mina"),
    ("Ahmad", "Mohammad", "Reza", "Mustafa", "Hamid", "Farid", "Javad"),
    ("Ahmadi", "Hosseini", "Rahimi", "Karimi", "Sultani", "Noori", "Azizi"),
)
_SOMALI = (
    ("Hodan", "Faadumo", "Sahra", "Ayaan", "Hibo", "Nasra", "Ifrah"),
    ("Abdi", "Mohamed", "Abdirahman", "Hassan", "Liban", "Yusuf", "Ismail"),
    ("Warsame", "Farah", "Osman", "Jama", "Abdullahi", "Hirsi", "Aden"),
)
_KURDISH = (
    ("Shirin", "Rojin", "Dilan", "Berivan", "Hana", "Nazdar", "Avin"),
    ("Karwan", "Rebin", "Dilshad", "Azad", "Sherzad", "Baran", "Hiwa"),
    ("Barzani", "Ahmed", "Kareem", "Mahmoud", "Rashid", "Aziz", "Omer"),
)
_TURKISH = (
    ("Ayşe", "Elif", "Zeynep", "Fatma", "Emine"),
    ("Mehmet", "Mustafa", "Emre", "Can", "Murat"),
    ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik"),  # noqa: RUF001
)
_ENGLISH = (
    ("Grace", "Mary", "Joy", "Esther", "Ruth"),
    ("John", "David", "Emmanuel", "Samuel", "Joseph"),
    ("Okafor", "Mensah", "Mwangi", "Banda", "Johnson"),
)

#: ``(female first names, male first names, surnames)`` by a newcomer's first language.
BY_LANGUAGE: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "ar": _ARABIC,
    "uk": _UKRAINIAN,
    "ru": _UKRAINIAN,
    "ti": _TIGRINYA,
    "prs": _PERSIAN,
    "fa": _PERSIAN,
    "ps": _PERSIAN,
    "so": _SOMALI,
    "ckb": _KURDISH,
    "kmr": _KURDISH,
    "ku": _KURDISH,
    "tr": _TURKISH,
    "en": _ENGLISH,
}
