#include "compiler/syntax/parser.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "PipeLexer.h"
#include "PipeParser.h"
#include "antlr4-runtime.h"
#include "compiler/syntax/ast_builder.h"

namespace pipec {

namespace fs = std::filesystem;
using pipec_grammar::PipeLexer;
using pipec_grammar::PipeParser;

namespace {

// Returns the byte offset of the first invalid UTF-8 byte, or npos. Fills
// `byte_offsets` (code point index -> byte offset) when the text is not ASCII.
size_t validate_utf8(const std::string& text, std::vector<uint32_t>& byte_offsets) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  bool ascii = true;
  for (size_t i = 0; i < n; ++i)
    if (p[i] >= 0x80) { ascii = false; break; }
  if (ascii) return std::string::npos;
  byte_offsets.clear();
  for (size_t i = 0; i < n;) {
    byte_offsets.push_back(static_cast<uint32_t>(i));
    unsigned char c = p[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > n) return i;
    for (size_t k = 1; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return i;
    if (len == 2 && c < 0xC2) return i;
    if (len == 3) {
      unsigned cp = ((c & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
      if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    }
    if (len == 4) {
      unsigned cp = ((c & 0x07) << 18) | ((p[i + 1] & 0x3F) << 12) | ((p[i + 2] & 0x3F) << 6) | (p[i + 3] & 0x3F);
      if (cp < 0x10000 || cp > 0x10FFFF) return i;
    }
    i += len;
  }
  byte_offsets.push_back(static_cast<uint32_t>(n));  // one past the end
  return std::string::npos;
}

// Turns ANTLR's messages into short ones with the expected set as a hint.
class DiagnosticErrorListener : public antlr4::BaseErrorListener {
 public:
  DiagnosticErrorListener(FileId file, const std::vector<uint32_t>& byte_offsets,
                          DiagnosticEngine& diags)
      : file_(file), byte_offsets_(byte_offsets), diags_(diags) {}

  std::vector<size_t> error_offsets;

  void syntaxError(antlr4::Recognizer*, antlr4::Token* token, size_t, size_t,
                   const std::string& msg, std::exception_ptr) override {
    if (!token) return;
    size_t cp = token->getStartIndex();
    if (token->getType() == antlr4::Token::EOF) cp = token->getStartIndex();
    error_offsets.push_back(cp);
    // One error per offending position is enough; ANTLR sometimes reports twice.
    if (!reported_.insert(cp).second) return;
    if (diags_.error_count() >= 50) return;  // a binary file would produce thousands

    uint32_t b = byte(cp);
    uint32_t e = token->getType() == antlr4::Token::EOF ? b : byte(token->getStopIndex() + 1);
    if (e > b + 40) e = b + 40;
    std::string text = token->getText();
    std::string message;
    std::string hint;
    switch (token->getType()) {
      case PipeLexer::UNTERMINATED_STRING: message = "unterminated string literal"; e = b + 1;
        hint = "close the string with ' (write '' for a quote inside it)"; break;
      case PipeLexer::UNTERMINATED_COMMENT: message = "unterminated block comment"; e = b + 2; break;
      case PipeLexer::UNEXPECTED_CHAR: message = "unexpected character '" + printable(text) + "'"; break;
      case antlr4::Token::EOF: message = "unexpected end of input"; break;
      default:
        if (msg.rfind("missing ", 0) == 0) {
          message = msg.substr(0, msg.find(" at '"));
          if (message.size() > 80) message = "missing token";
        } else {
          message = "unexpected '" + printable(text) + "'";
        }
    }
    size_t exp = msg.find("expecting ");
    if (hint.empty() && exp != std::string::npos) {
      std::string expected = msg.substr(exp + 10);
      size_t commas = std::count(expected.begin(), expected.end(), ',');
      if (commas < 8) {
        // Tokens named NULL_/TRUE_/FALSE_ (to dodge C macros) read as the keywords.
        for (const char* kw : {"NULL_", "TRUE_", "FALSE_"}) {
          std::string from(kw), to(from.substr(0, from.size() - 1));
          for (size_t at = expected.find(from); at != std::string::npos; at = expected.find(from, at + to.size()))
            expected.replace(at, from.size(), to);
        }
        hint = "expected " + expected;
      }
    }
    if (token->getType() == antlr4::Token::EOF && hint.empty()) hint = "did you forget a ';'?";
    auto& d = diags_.report(DiagKind::SyntaxError, Span::at(file_, b, e), message);
    d.hint = hint;
  }

 private:
  static std::string printable(const std::string& s) {
    std::string out;
    for (unsigned char c : s.substr(0, 32)) {
      if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
      else out.push_back(static_cast<char>(c));
    }
    return out;
  }
  uint32_t byte(size_t cp) const {
    if (byte_offsets_.empty()) return static_cast<uint32_t>(cp);
    return byte_offsets_[std::min(cp, byte_offsets_.size() - 1)];
  }
  FileId file_;
  const std::vector<uint32_t>& byte_offsets_;
  DiagnosticEngine& diags_;
  std::set<size_t> reported_;
};

// Parser recursion depth is bounded before parsing: nesting of (), [] and
// CASE plus runs of prefix operators. Returns the token where the bound is
// crossed, or nullptr.
antlr4::Token* find_excessive_nesting(antlr4::CommonTokenStream& tokens) {
  int depth = 0;
  int unary_run = 0;
  for (antlr4::Token* t : tokens.getTokens()) {
    if (t->getChannel() != antlr4::Token::DEFAULT_CHANNEL) continue;
    const std::string& s = t->getText();
    size_t type = t->getType();
    if (s == "(" || s == "[" || type == PipeLexer::CASE) ++depth;
    else if ((s == ")" || s == "]" || type == PipeLexer::END) && depth > 0) --depth;
    if (s == "-" || s == "+" || type == PipeLexer::NOT) ++unary_run;
    else unary_run = 0;
    if (depth + unary_run > kMaxExpressionDepth) return t;
  }
  return nullptr;
}

class ScriptLoader {
 public:
  ScriptLoader(SourceManager& sources, DiagnosticEngine& diags) : sources_(sources), diags_(diags) {}

  void load_text(const std::string& name, std::string text, ast::Script& out) {
    std::string key = canonical(name);
    loaded_.insert(key);
    active_.push_back(key);
    FileId id = sources_.add(name, std::move(text));
    parse_one(id, out);
    active_.pop_back();
  }

  void load_file(const std::string& path, Span imported_at, ast::Script& out) {
    std::string key = canonical(path);
    if (std::find(active_.begin(), active_.end(), key) != active_.end()) {
      diags_.report(DiagKind::ImportCycle, imported_at, path);
      return;
    }
    if (!loaded_.insert(key).second) return;  // diamond import: already parsed
    // Only regular files: a FIFO would block the open, /dev/zero would never end.
    std::error_code status_error;
    fs::file_status st = fs::status(path, status_error);
    if (!status_error && fs::exists(st) && !fs::is_regular_file(st)) {
      diags_.report(DiagKind::FileNotFound, imported_at, path,
                    fs::is_directory(st) ? "is a directory" : "not a regular file");
      return;
    }
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::error_code ec(errno ? errno : ENOENT, std::generic_category());
      diags_.report(DiagKind::FileNotFound, imported_at, path, ec.message());
      return;
    }
    // Read at most one byte past the limit: parse_one reports InputTooLarge.
    std::string text(kMaxScriptBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    active_.push_back(key);
    FileId id = sources_.add(path, std::move(text));
    parse_one(id, out);
    active_.pop_back();
  }

 private:
  static std::string canonical(const std::string& path) {
    std::error_code ec;
    auto p = fs::weakly_canonical(path, ec);
    return ec ? path : p.string();
  }

  void parse_one(FileId id, ast::Script& out) {
    const std::string& text = sources_.text(id);
    if (text.size() > kMaxScriptBytes) {
      diags_.report(DiagKind::InputTooLarge, Span::at(id, 0, 0), kMaxScriptBytes);
      out.has_syntax_errors = true;
      return;
    }
    std::vector<uint32_t> byte_offsets;
    size_t bad = validate_utf8(text, byte_offsets);
    if (bad != std::string::npos) {
      diags_.report(DiagKind::InvalidEncoding, Span::at(id, bad, bad + 1),
                    static_cast<unsigned>(static_cast<unsigned char>(text[bad])));
      out.has_syntax_errors = true;
      return;
    }

    antlr4::ANTLRInputStream input(text);
    PipeLexer lexer(&input);
    lexer.removeErrorListeners();
    antlr4::CommonTokenStream tokens(&lexer);
    tokens.fill();

    if (antlr4::Token* t = find_excessive_nesting(tokens)) {
      uint32_t b = byte_offsets.empty() ? t->getStartIndex() : byte_offsets[t->getStartIndex()];
      diags_.report(DiagKind::NestingTooDeep, Span::at(id, b, b + 1), kMaxExpressionDepth);
      out.has_syntax_errors = true;
      return;
    }

    PipeParser parser(&tokens);
    DiagnosticErrorListener listener(id, byte_offsets, diags_);
    parser.removeErrorListeners();
    parser.addErrorListener(&listener);
    PipeParser::ScriptContext* tree = parser.script();
    if (!listener.error_offsets.empty()) out.has_syntax_errors = true;

    ast::Script local;
    build_ast(tree, id, listener.error_offsets, byte_offsets, diags_, local);

    // Imported definitions come first so later files may use them.
    fs::path dir = fs::path(sources_.path(id)).parent_path();
    for (const auto& imp : local.imports) {
      fs::path target = fs::path(imp.path).is_absolute() ? fs::path(imp.path) : dir / imp.path;
      load_file(target.string(), imp.span, out);
    }
    for (auto& r : local.relations) out.relations.push_back(std::move(r));
    for (auto& p : local.pipelines) out.pipelines.push_back(std::move(p));
    for (auto& i : local.imports) out.imports.push_back(std::move(i));
    out.broken_names.insert(local.broken_names.begin(), local.broken_names.end());
    out.has_syntax_errors |= local.has_syntax_errors;
  }

  SourceManager& sources_;
  DiagnosticEngine& diags_;
  std::set<std::string> loaded_;
  std::vector<std::string> active_;
};

}  // namespace

ast::Script parse_file(const std::string& path, SourceManager& sources, DiagnosticEngine& diags) {
  ast::Script script;
  ScriptLoader(sources, diags).load_file(path, Span{}, script);
  return script;
}

ast::Script parse_text(const std::string& name, std::string text, SourceManager& sources,
                       DiagnosticEngine& diags) {
  ast::Script script;
  ScriptLoader(sources, diags).load_text(name, std::move(text), script);
  return script;
}

}  // namespace pipec
