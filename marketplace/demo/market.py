"""The demo market on paper: Austin, TX, its logins, streets, businesses, haulers, rates and the names it draws from."""

import datetime as dt

from core.catalog import Container, WasteStream
from haulers.models import Credential

SEED = 2026

ADMIN_EMAIL = "admin@haulmatch.demo"
ADMIN_PASSWORD = "haulmatch-admin"
BUSINESS_EMAIL = "business@haulmatch.demo"
BUSINESS_PASSWORD = "haulmatch-demo"
BUSINESS_NAME = "Congress Avenue Café"
HAULER_EMAIL = "hauler@haulmatch.demo"
HAULER_PASSWORD = "haulmatch-demo"
HAULER_NAME = "Capital City Hauling"

# (role, email, password): shown by the command and in the README.
DEMO_LOGINS = [
    ("staff", ADMIN_EMAIL, ADMIN_PASSWORD),
    ("business owner", BUSINESS_EMAIL, BUSINESS_PASSWORD),
    ("hauler owner", HAULER_EMAIL, HAULER_PASSWORD),
]

# Standard (street-delivery) Austin ZIPs in the dataset; PO-box and single-building ZIPs are left out.
AUSTIN_ZIPS = [
    "78701", "78702", "78703", "78704", "78705", "78717", "78721", "78722", "78723", "78724",
    "78725", "78726", "78727", "78728", "78729", "78730", "78731", "78732", "78733", "78734",
    "78735", "78736", "78737", "78738", "78739", "78741", "78742", "78744", "78745", "78746",
    "78747", "78748", "78749", "78750", "78751", "78752", "78753", "78754", "78756", "78757",
    "78758", "78759",
]  # fmt: skip

# Real Austin streets with the ZIP of the stretch used: neighbourhood -> (street, ZIP, lowest, highest number).
STREETS = {
    "Downtown": ("Congress Ave", "78701", 100, 1100),
    "Warehouse District": ("W 5th St", "78701", 300, 900),
    "Rainey Street": ("Rainey St", "78701", 50, 110),
    "Red River": ("Red River St", "78701", 600, 1000),
    "East Sixth": ("E 6th St", "78702", 1100, 2400),
    "East Cesar Chavez": ("E Cesar Chavez St", "78702", 1000, 2900),
    "Holly": ("Holly St", "78702", 1500, 2400),
    "Govalle": ("Springdale Rd", "78702", 500, 1200),
    "Clarksville": ("W Lynn St", "78703", 1000, 1800),
    "Tarrytown": ("Exposition Blvd", "78703", 1600, 2500),
    "South Congress": ("S Congress Ave", "78704", 1000, 2400),
    "Zilker": ("Barton Springs Rd", "78704", 1000, 2100),
    "South Lamar": ("S Lamar Blvd", "78704", 1000, 2900),
    "Bouldin Creek": ("S 1st St", "78704", 1000, 2100),
    "West Campus": ("Guadalupe St", "78705", 2000, 3100),
    "Hyde Park": ("Duval St", "78751", 4000, 4600),
    "North Loop": ("E North Loop Blvd", "78751", 100, 600),
    "Cherrywood": ("Manor Rd", "78722", 2500, 3100),
    "Mueller": ("Aldrich St", "78723", 1800, 2000),
    "Windsor Park": ("Cameron Rd", "78723", 5000, 6400),
    "Airport Boulevard": ("Airport Blvd", "78752", 6000, 7400),
    "Rosedale": ("Burnet Rd", "78756", 4500, 5600),
    "North Lamar": ("N Lamar Blvd", "78756", 4500, 5500),
    "Allandale": ("Burnet Rd", "78757", 6000, 7900),
    "Crestview": ("W Anderson Ln", "78757", 1000, 2300),
    "Rundberg": ("E Rundberg Ln", "78753", 600, 1400),
    "The Domain": ("Burnet Rd", "78758", 10000, 11400),
    "Great Hills": ("Research Blvd", "78759", 9500, 10800),
    "Jollyville": ("Jollyville Rd", "78759", 9000, 10900),
    "Anderson Mill": ("Anderson Mill Rd", "78750", 10000, 11400),
    "Parmer": ("W Parmer Ln", "78727", 1000, 2900),
    "Riverside": ("E Riverside Dr", "78741", 1000, 2400),
    "Montopolis": ("Montopolis Dr", "78741", 1000, 1700),
    "Southeast": ("E Stassney Ln", "78744", 1000, 2400),
    "Southpark": ("S Congress Ave", "78745", 4000, 6900),
    "South Austin": ("W William Cannon Dr", "78745", 1000, 2400),
    "Brodie": ("Brodie Ln", "78748", 8500, 9800),
    "Circle C": ("W Slaughter Ln", "78749", 5000, 6400),
    "Westlake": ("Bee Caves Rd", "78746", 2500, 3700),
    "Dessau": ("Dessau Rd", "78754", 11000, 12900),
}

# (name, neighbourhood of its first location); the first is the demo business.
BUSINESSES = [
    (BUSINESS_NAME, "Downtown"),
    ("Eastside Tacos & Tequila", "East Sixth"),
    ("Barton Springs Bakery", "Zilker"),
    ("Lamar Street Books", "North Lamar"),
    ("Hyde Park Family Dental", "Hyde Park"),
    ("Zilker Yoga Studio", "Zilker"),
    ("Rainey Street Taproom", "Rainey Street"),
    ("South First Smokehouse", "Bouldin Creek"),
    ("Mueller Pediatric Clinic", "Mueller"),
    ("Bouldin Roasting Co.", "Bouldin Creek"),
    ("Capitol View Law Group", "Downtown"),
    ("Travis Heights Veterinary Hospital", "South Congress"),
    ("Crestview Hardware", "Crestview"),
    ("Burnet Road Auto Care", "Rosedale"),
    ("Red River Listening Room", "Red River"),
    ("Sixth Street Pizza Kitchen", "East Sixth"),
    ("Cherrywood Florist", "Cherrywood"),
    ("Riverside Print & Copy", "Riverside"),
    ("Domain Fitness Club", "The Domain"),
    ("Allandale Animal Clinic", "Allandale"),
    ("Bee Caves Road Dermatology", "Westlake"),
    ("Brodie Lane Feed & Garden", "Brodie"),
    ("Windsor Park Grocery", "Windsor Park"),
    ("Govalle Brewing Company", "Govalle"),
    ("Holly Street Noodle Bar", "Holly"),
    ("Clarksville Wine Bar", "Clarksville"),
    ("Exposition Apothecary", "Tarrytown"),
    ("North Loop Vintage", "North Loop"),
    ("Airport Boulevard Dry Cleaners", "Airport Boulevard"),
    ("Circle C Pediatrics", "Circle C"),
    ("Shoal Creek Physical Therapy", "Rosedale"),
    ("Montopolis Tire & Lube", "Montopolis"),
    ("Southpark Cider House", "Southpark"),
    ("Southeast Community Kitchen", "Southeast"),
    ("Slaughter Lane Urgent Care", "Circle C"),
    ("Parmer Lane Office Suites", "Parmer"),
    ("Great Hills Data Center", "Great Hills"),
    ("Warehouse District Coworking", "Warehouse District"),
    ("Lady Bird Lakeside Hotel", "Rainey Street"),
    ("Manor Road Deli", "Cherrywood"),
    ("Cesar Chavez Tortillería", "East Cesar Chavez"),
    ("Guadalupe Student Bookstore", "West Campus"),
    ("Pecan Grove Senior Living", "South Austin"),
    ("Rundberg Halal Market", "Rundberg"),
    ("Anderson Mill Car Wash", "Anderson Mill"),
    ("Dessau Road Building Supply", "Dessau"),
    ("Hill Country Kolache Shop", "South Lamar"),
    ("South Congress Boutique", "South Congress"),
    ("Jollyville Ramen House", "Jollyville"),
    ("Crestview Montessori School", "Crestview"),
]

# (name, depot ZIP, what it hauls); the first is the demo hauler.
HAULERS = [
    (HAULER_NAME, "78702", "front-load"),
    ("Lone Star Waste Co.", "78744", "full"),
    ("Barton Creek Disposal", "78704", "front-load"),
    ("Hill Country Roll-Off", "78748", "roll-off"),
    ("Pecan Street Recycling", "78741", "recycling"),
    ("Colorado River Carting", "78741", "full"),
    ("Bluebonnet Waste Services", "78745", "front-load"),
    ("Armadillo Hauling", "78753", "roll-off"),
    ("Red River Refuse", "78752", "front-load"),
    ("Eastside Compost Co-op", "78721", "organics"),
    ("Balcones Hauling", "78758", "full"),
    ("Travis County Trash & Recycling", "78724", "full"),
    ("Brazos Roll-Off", "78725", "roll-off"),
    ("Zilker Green Recycling", "78704", "recycling"),
    ("Longhorn Container Service", "78754", "roll-off"),
    ("Onion Creek Waste", "78747", "front-load"),
    ("Walnut Creek Disposal", "78753", "front-load"),
    ("Shoal Creek Carting", "78756", "front-load"),
    ("Southpark Sanitation", "78745", "full"),
    ("Dessau Dumpster Rental", "78754", "roll-off"),
]
PENDING_HAULERS = {"Onion Creek Waste", "Dessau Dumpster Rental"}
SUSPENDED_HAULERS = {"Red River Refuse": "Three missed pickups in two weeks; under review."}
EXPIRED_LICENCE_HAULER = "Walnut Creek Disposal"
# hauler -> (credential kind, days from today to its expiry)
EXPIRING_SOON = {
    "Balcones Hauling": (Credential.Kind.LICENCE, 5),
    "Zilker Green Recycling": (Credential.Kind.INSURANCE, 16),
    "Southpark Sanitation": (Credential.Kind.INSURANCE, 27),
}

S, C = WasteStream, Container
FRONT_LOAD = [C.CART_96_GAL, C.DUMPSTER_2_YD, C.DUMPSTER_4_YD, C.DUMPSTER_6_YD, C.DUMPSTER_8_YD]
ROLL_OFF = [C.ROLL_OFF_20_YD, C.ROLL_OFF_30_YD, C.ROLL_OFF_40_YD]
OFFERINGS = {
    "front-load": ([S.TRASH, S.RECYCLING, S.CARDBOARD], FRONT_LOAD),
    "roll-off": ([S.TRASH, S.RECYCLING], ROLL_OFF),
    "recycling": ([S.RECYCLING, S.CARDBOARD], FRONT_LOAD),
    "organics": ([S.ORGANICS, S.RECYCLING], [C.CART_96_GAL, C.DUMPSTER_2_YD, C.DUMPSTER_4_YD]),
    "full": ([S.TRASH, S.RECYCLING, S.CARDBOARD, S.ORGANICS], FRONT_LOAD + ROLL_OFF),
}
# An average Austin trash pickup, in cents; other streams scale it.
BASE_PRICE_CENTS = {
    C.CART_96_GAL: 2_800,
    C.DUMPSTER_2_YD: 6_500,
    C.DUMPSTER_4_YD: 8_900,
    C.DUMPSTER_6_YD: 11_500,
    C.DUMPSTER_8_YD: 13_900,
    C.ROLL_OFF_20_YD: 42_500,
    C.ROLL_OFF_30_YD: 49_500,
    C.ROLL_OFF_40_YD: 57_500,
}
STREAM_FACTOR = {S.TRASH: 1.0, S.RECYCLING: 0.8, S.CARDBOARD: 0.7, S.ORGANICS: 1.2}

FIRST_NAMES = [
    "Maria", "James", "Ana", "David", "Priya", "Carlos", "Emily", "Luis", "Sarah", "Kevin", "Rosa", "Michael",
    "Jasmine", "Daniel", "Laura", "Marcus", "Sofia", "Brian", "Nguyen", "Elena", "Tyler", "Aisha", "Jorge", "Hannah",
]  # fmt: skip
LAST_NAMES = [
    "Garcia", "Nguyen", "Johnson", "Martinez", "Patel", "Smith", "Hernandez", "Kim", "Williams", "Lopez", "Brown",
    "Rodriguez", "Davis", "Tran", "Wilson", "Gonzalez", "Anderson", "Flores", "Thomas", "Ramirez", "Moore", "Cruz",
]  # fmt: skip
ACCESS_NOTES = [
    "",
    "",
    "Dumpster enclosure behind the building, off the alley; gate code {code}.",
    "Bins are in the loading dock; ring the bell and ask for the manager.",
    "No pickups before 7 am: residential neighbours.",
    "Enclosure is locked; code {code}. Please close the gate after service.",
    "Carts are by the side entrance; return them against the wall.",
    "Shared enclosure with the unit next door: ours are the green carts.",
]
INSURERS = ["Texas Mutual Insurance", "Travelers", "Progressive Commercial", "Liberty Mutual", "The Hartford"]
LICENCE_ISSUER = "City of Austin, Austin Resource Recovery"

# Where Austin's trucks tip (a landfill and a transfer station east of town), open Monday to Saturday.
DISPOSAL_SITES = [
    {"name": "Travis County Landfill", "kind": "landfill", "zip_code": "78725", "address": "9500 FM 812",
     "opens_at": dt.time(6, 0), "closes_at": dt.time(17, 0)},
    {"name": "East Austin Transfer Station", "kind": "transfer_station", "zip_code": "78741",
     "address": "2514 Business Center Dr", "opens_at": dt.time(5, 30), "closes_at": dt.time(18, 0)},
]  # fmt: skip
