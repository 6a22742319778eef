#include "libcommon/container/names.h"

#include <cctype>
#include <random>
#include <vector>

namespace ctr::container {

namespace {

const std::vector<const char*> adjectives = {
    "admiring", "agitated", "amazing",  "angry",    "awesome",  "blissful", "bold",     "boring",
    "brave",    "busy",     "charming", "clever",   "compassionate", "confident", "cool", "cranky",
    "crazy",    "dazzling", "determined", "distracted", "dreamy", "eager",  "ecstatic", "elastic",
    "elated",   "elegant",  "eloquent", "epic",     "exciting", "fervent",  "festive",  "flamboyant",
    "focused",  "friendly", "frosty",   "funny",    "gallant",  "gifted",   "goofy",    "gracious",
    "great",    "happy",    "hardcore", "heuristic", "hopeful", "hungry",   "infallible", "inspiring",
    "intelligent", "interesting", "jolly", "jovial", "keen",   "kind",     "laughing", "loving",
    "lucid",    "magical",  "modest",   "musing",   "mystifying", "naughty", "nervous", "nice",
    "nifty",    "nostalgic", "objective", "optimistic", "peaceful", "pedantic", "pensive", "practical",
    "priceless", "quirky",  "quizzical", "recursing", "relaxed", "reverent", "romantic", "sad",
    "serene",   "sharp",    "silly",    "sleepy",   "stoic",    "strange",  "stupefied", "suspicious",
    "sweet",    "tender",   "thirsty",  "trusting", "unruffled", "upbeat",  "vibrant",  "vigilant",
    "vigorous", "wizardly", "wonderful", "xenodochial", "youthful", "zealous", "zen"};

const std::vector<const char*> surnames = {
    "agnesi",   "albattani", "allen",    "almeida",  "archimedes", "ardinghelli", "aryabhata", "babbage",
    "banach",   "bardeen",  "bartik",   "bassi",    "bell",     "bhabha",   "bhaskara", "blackwell",
    "bohr",     "booth",    "borg",     "bose",     "boyd",     "brahmagupta", "brattain", "brown",
    "carson",   "cerf",     "chandrasekhar", "chaplygin", "clarke", "colden", "cori",     "cray",
    "curie",    "darwin",   "davinci",  "dijkstra", "dubinsky", "easley",   "edison",   "einstein",
    "elion",    "engelbart", "euclid",  "euler",    "fermat",   "fermi",    "feynman",  "franklin",
    "galileo",  "gates",    "goldberg", "goldstine", "golick",  "goodall",  "hamilton", "hawking",
    "heisenberg", "hermann", "hertz",   "hodgkin",  "hofstadter", "hopper", "hugle",    "hypatia",
    "jackson",  "jang",     "jennings", "jepsen",   "johnson",  "joliot",   "jones",    "kalam",
    "kare",     "keller",   "kepler",   "khorana",  "kilby",    "kirch",    "knuth",    "kowalevski",
    "lalande",  "lamarr",   "lamport",  "leakey",   "leavitt",  "lewin",    "lichterman", "liskov",
    "lovelace", "lumiere",  "mahavira", "mayer",    "mccarthy", "mcclintock", "mclean", "meitner",
    "mendel",   "merkle",   "mirzakhani", "morse",  "murdock",  "napier",   "nash",     "newton",
    "nightingale", "nobel", "noether",  "northcutt", "noyce",   "pare",     "pascal",   "pasteur",
    "payne",    "perlman",  "pike",     "poincare", "ptolemy",  "raman",    "ramanujan", "ride",
    "ritchie",  "robinson", "roentgen", "rosalind", "saha",     "sammet",   "shamir",   "shannon",
    "shaw",     "shirley",  "shockley", "sinoussi", "snyder",   "spence",   "stallman", "stonebraker",
    "swanson",  "swartz",   "tesla",    "thompson", "torvalds", "turing",   "varahamihira", "visvesvaraya",
    "volhard",  "wescoff",  "wiles",    "williams", "wilson",   "wing",     "wozniak",  "wright",
    "yalow",    "yonath",   "zhukovsky"};

}  // namespace

std::string generate_name(const std::function<bool(const std::string&)>& taken) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_int_distribution<size_t> adj(0, adjectives.size() - 1), sur(0, surnames.size() - 1);
    for (int attempt = 0;; attempt++) {
        std::string name = std::string(adjectives[adj(rng)]) + "_" + surnames[sur(rng)];
        // "boring_wozniak" is not boring (docker's own rule).
        if (name == "boring_wozniak") continue;
        if (attempt >= 10) name += std::to_string(rng() % 10);
        if (!taken(name)) return name;
    }
}

bool valid_name(const std::string& name) {
    if (name.size() < 2) return false;
    if (!std::isalnum(static_cast<unsigned char>(name[0]))) return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
    return true;
}

}  // namespace ctr::container
