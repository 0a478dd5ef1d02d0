// _goinspect_gdb: the engine as a Python extension module, for GDB's embedded Python.
//
//   import _goinspect_gdb
//   s = _goinspect_gdb.Session(py_target)   # py_target: read_memory, threads, lookup_symbol,
//                                           # executable_path, load_bias, stop_id, monotonic_now
//   ok, text = s.run(["goroutines", "--json"])
//   _goinspect_gdb.command_table()          # [(name, summary, syntax, help), ...]
//
// The engine's Target is implemented by calling the Python object's methods. Nothing leaves
// this file as a C++ exception, and no Python error is left set by a callback: an exception
// raised by the Python target becomes a failed read (or an empty answer) for the engine.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "session.h"
#include "target.h"
#include "value.h"

namespace {

// Ctrl-C while a command runs: GDB hands it to Python (PyErr_SetInterrupt), and Python
// raises KeyboardInterrupt in whichever callback (a memory read) runs next. The callbacks'
// errors are cleared, so that one is remembered here for GdbFrontEnd; each command starts
// with it false.
bool keyboardInterrupt = false;

void clearPyError() {
  if (PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) keyboardInterrupt = true;
  PyErr_Clear();
}

// A Python str as a std::string, "" for anything else; takes the reference.
std::string stringOf(PyObject* r) {
  std::string s;
  if (r && PyUnicode_Check(r)) {
    Py_ssize_t n = 0;
    const char* p = PyUnicode_AsUTF8AndSize(r, &n);
    if (p) s.assign(p, static_cast<size_t>(n));
    else clearPyError();
  }
  Py_XDECREF(r);
  return s;
}

// A new reference or nullptr; on failure the Python error is cleared.
PyObject* callMethod(PyObject* obj, const char* name, PyObject* args) {
  PyObject* fn = PyObject_GetAttrString(obj, name);
  if (!fn) {
    clearPyError();
    return nullptr;
  }
  PyObject* r = PyObject_CallObject(fn, args);
  Py_DECREF(fn);
  if (!r) clearPyError();
  return r;
}

std::optional<uint64_t> asU64(PyObject* o) {
  if (!o || o == Py_None || !PyLong_Check(o)) return std::nullopt;
  unsigned long long v = PyLong_AsUnsignedLongLongMask(o);
  if (PyErr_Occurred()) {
    clearPyError();
    return std::nullopt;
  }
  return static_cast<uint64_t>(v);
}

class PyTarget : public goinspect::Target {
 public:
  explicit PyTarget(PyObject* obj) : obj_(obj) { Py_INCREF(obj_); }
  ~PyTarget() override { Py_DECREF(obj_); }

  bool readMemory(uint64_t addr, void* buf, size_t size) override {
    if (size == 0) return true;
    PyObject* args = Py_BuildValue("(KK)", (unsigned long long)addr, (unsigned long long)size);
    if (!args) {
      clearPyError();
      return false;
    }
    PyObject* r = callMethod(obj_, "read_memory", args);
    Py_DECREF(args);
    if (!r) return false;
    bool ok = false;
    if (r != Py_None && PyObject_CheckBuffer(r)) {
      Py_buffer view;
      if (PyObject_GetBuffer(r, &view, PyBUF_SIMPLE) == 0) {
        if (view.len >= 0 && static_cast<size_t>(view.len) == size) {
          std::memcpy(buf, view.buf, size);
          ok = true;
        }
        PyBuffer_Release(&view);
      } else {
        clearPyError();
      }
    }
    Py_DECREF(r);
    return ok;
  }

  std::vector<goinspect::ThreadInfo> threads() override {
    std::vector<goinspect::ThreadInfo> out;
    PyObject* r = callMethod(obj_, "threads", nullptr);
    if (!r) return out;
    PyObject* seq = PySequence_Fast(r, "threads() must return a sequence");
    Py_DECREF(r);
    if (!seq) {
      clearPyError();
      return out;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n && i < 100000; i++) {
      PyObject* t = PySequence_Fast_GET_ITEM(seq, i);  // borrowed
      if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) < 2) continue;
      goinspect::ThreadInfo ti;
      auto tid = asU64(PyTuple_GET_ITEM(t, 0));
      auto idx = asU64(PyTuple_GET_ITEM(t, 1));
      if (!tid || !idx) continue;
      ti.tid = *tid;
      ti.index = static_cast<uint32_t>(*idx);
      if (PyTuple_GET_SIZE(t) >= 6) {
        auto pc = asU64(PyTuple_GET_ITEM(t, 2));
        auto sp = asU64(PyTuple_GET_ITEM(t, 3));
        auto fp = asU64(PyTuple_GET_ITEM(t, 4));
        if (pc && sp) {
          goinspect::Registers regs;
          regs.pc = *pc;
          regs.sp = *sp;
          regs.fp = fp.value_or(0);
          regs.fsBase = asU64(PyTuple_GET_ITEM(t, 5));
          // The general registers by DWARF number, when the Python side gives them.
          if (PyTuple_GET_SIZE(t) >= 8) {
            PyObject* g = PyTuple_GET_ITEM(t, 7);
            if (PyTuple_Check(g))
              for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(g) && k < 16; k++)
                regs.gpr[static_cast<size_t>(k)] = asU64(PyTuple_GET_ITEM(g, k));
          }
          ti.regs = regs;
        }
      }
      if (PyTuple_GET_SIZE(t) >= 7) ti.selected = PyObject_IsTrue(PyTuple_GET_ITEM(t, 6)) == 1;
      out.push_back(ti);
    }
    Py_DECREF(seq);
    return out;
  }

  std::optional<uint64_t> lookupSymbol(const std::string& name) override {
    PyObject* args = Py_BuildValue("(s)", name.c_str());
    if (!args) {
      clearPyError();
      return std::nullopt;
    }
    PyObject* r = callMethod(obj_, "lookup_symbol", args);
    Py_DECREF(args);
    auto v = asU64(r);
    Py_XDECREF(r);
    return v;
  }

  std::string executablePath() override { return stringOf(callMethod(obj_, "executable_path", nullptr)); }
  std::string symbolFile() override { return stringOf(callMethod(obj_, "symbol_file", nullptr)); }

  std::vector<std::string> debugDirectories() override {
    PyObject* r = callMethod(obj_, "debug_directories", nullptr);
    std::vector<std::string> dirs;
    if (r && PyList_Check(r))
      for (Py_ssize_t i = 0; i < PyList_Size(r); i++) {
        PyObject* item = PyList_GetItem(r, i);  // borrowed
        Py_XINCREF(item);
        std::string d = stringOf(item);
        if (!d.empty()) dirs.push_back(d);
      }
    Py_XDECREF(r);
    if (!r) dirs.push_back("/usr/lib/debug");
    return dirs;
  }

  uint64_t loadBias() override { return u64Method("load_bias").value_or(0); }
  uint64_t stopId() override { return u64Method("stop_id").value_or(0); }
  std::optional<int64_t> monotonicNow() override {
    auto v = u64Method("monotonic_now");
    if (!v) return std::nullopt;
    return static_cast<int64_t>(*v);
  }

 private:
  std::optional<uint64_t> u64Method(const char* name) {
    PyObject* r = callMethod(obj_, name, nullptr);
    auto v = asU64(r);
    Py_XDECREF(r);
    return v;
  }
  PyObject* obj_;
};

// ---------------------------------------------------------------------------------------
// The Session type.

struct SessionObject {
  PyObject_HEAD
  PyTarget* target;
  goinspect::Session* session;
};

void sessionDealloc(PyObject* self) {
  auto* s = reinterpret_cast<SessionObject*>(self);
  try {
    delete s->session;
    delete s->target;
  } catch (...) {
  }
  s->session = nullptr;
  s->target = nullptr;
  PyTypeObject* tp = Py_TYPE(self);
  tp->tp_free(self);
  Py_DECREF(tp);
}

int sessionInit(PyObject* self, PyObject* args, PyObject* kwds) {
  auto* s = reinterpret_cast<SessionObject*>(self);
  PyObject* target = nullptr;
  if (!PyArg_ParseTuple(args, "O", &target)) return -1;
  try {
    delete s->session;
    delete s->target;
    s->session = nullptr;
    s->target = new PyTarget(target);
    s->session = new goinspect::Session(*s->target);
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
    return -1;
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "cannot create a goinspect session");
    return -1;
  }
  return 0;
}

// Long work as GDB shows it: a single updating line on stderr when it is a terminal, and
// Ctrl-C, which GDB hands to Python while a Python command runs (PyErr_SetInterrupt): the
// flag is taken here with the GIL held, so GDB's prompt does not see it again.
class GdbFrontEnd : public goinspect::FrontEnd {
 public:
  bool interruptRequested() override {
    if (PyOS_InterruptOccurred()) keyboardInterrupt = true;
    return keyboardInterrupt;
  }
  void progress(const std::string& title, uint64_t done, uint64_t total) override {
    if (!isatty(2)) return;
    std::string line = "go: " + title + ": " + std::to_string(done);
    if (total) line += " of " + std::to_string(total) + " (" + std::to_string(done * 100 / total) + "%)";
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
  void progressEnd() override {
    if (!shown_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    shown_ = false;
  }

 private:
  bool shown_ = false;
};

// run(list of str) -> (ok: bool, text: str): the output when ok, else the error message.
PyObject* sessionRun(PyObject* self, PyObject* args) {
  auto* s = reinterpret_cast<SessionObject*>(self);
  PyObject* words = nullptr;
  if (!PyArg_ParseTuple(args, "O", &words)) return nullptr;
  if (!s->session) {
    PyErr_SetString(PyExc_RuntimeError, "session not initialised");
    return nullptr;
  }
  std::vector<std::string> argv;
  PyObject* seq = PySequence_Fast(words, "run() takes a list of strings");
  if (!seq) return nullptr;
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
    PyObject* w = PySequence_Fast_GET_ITEM(seq, i);
    Py_ssize_t n = 0;
    const char* p = PyUnicode_Check(w) ? PyUnicode_AsUTF8AndSize(w, &n) : nullptr;
    if (!p) {
      Py_DECREF(seq);
      if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "run() takes a list of strings");
      return nullptr;
    }
    argv.emplace_back(p, static_cast<size_t>(n));
  }
  Py_DECREF(seq);
  goinspect::CommandResult r;
  keyboardInterrupt = false;
  GdbFrontEnd frontEnd;
  goinspect::Target& target = s->session->target();
  target.setFrontEnd(&frontEnd);
  try {
    r = goinspect::runCommand(*s->session, argv);
  } catch (const std::exception& e) {
    r.ok = false;
    r.error = e.what();
  } catch (...) {
    r.ok = false;
    r.error = "internal error in the go engine";
  }
  target.setFrontEnd(nullptr);
  // Interrupted where no step looked (a read cut short while the program loaded): what the
  // command made may rest on reads that failed for that reason alone, so it is not shown.
  if (r.ok && keyboardInterrupt)
    r = {false, "", "interrupted (Ctrl-C) before the command finished; nothing was kept: run it again"};
  keyboardInterrupt = false;
  // A callback never leaves an error set, but make sure nothing leaks into the caller.
  if (PyErr_Occurred()) clearPyError();
  const std::string& text = r.ok ? r.output : r.error;
  PyObject* str = PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace");
  if (!str) return nullptr;
  return Py_BuildValue("(ON)", r.ok ? Py_True : Py_False, str);
}

// contents(type name, map or chan word, max) -> (error or None, len, cap or None, closed,
// [sending goids], [receiving goids], [(key address or None, value or element address or
// None), ...]): the pretty-printers' maps and channels, read by the engine's decoders
// (values/maps.cc, chans.cc), not a second decoder in Python.
PyObject* sessionContents(PyObject* self, PyObject* args) {
  auto* s = reinterpret_cast<SessionObject*>(self);
  const char* typeName = nullptr;
  unsigned long long word = 0, max = 0;
  if (!PyArg_ParseTuple(args, "sKK", &typeName, &word, &max)) return nullptr;
  if (!s->session) {
    PyErr_SetString(PyExc_RuntimeError, "session not initialised");
    return nullptr;
  }
  std::string error;
  goinspect::Value v;
  try {
    goinspect::ValueReader& r = s->session->values();
    if (auto id = r.types().byName(typeName)) {
      // Depth 0: the entries are located, their contents left to GDB's own printing.
      goinspect::Limits limits{.depth = 0, .elements = max, .stringBytes = 0, .nodes = max * 2 + 16};
      v = r.readContainer(*id, word, limits);
      if (v.error) error = *v.error;
    } else {
      error = std::string("no type ") + typeName + " in the program's DWARF";
    }
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "internal error in the go engine";
  }
  if (PyErr_Occurred()) clearPyError();
  PyObject* list = PyList_New(0);
  if (!list) return nullptr;
  if (error.empty())
    for (const auto& c : v.children) {
      PyObject* key = c.key && c.key->addr ? PyLong_FromUnsignedLongLong(*c.key->addr) : (Py_INCREF(Py_None), Py_None);
      PyObject* val = c.value && c.value->addr ? PyLong_FromUnsignedLongLong(*c.value->addr) : (Py_INCREF(Py_None), Py_None);
      PyObject* t = (key && val) ? Py_BuildValue("(NN)", key, val) : nullptr;
      if (!t || PyList_Append(list, t) != 0) {
        Py_XDECREF(t);
        Py_DECREF(list);
        return nullptr;
      }
      Py_DECREF(t);
    }
  PyObject* err = error.empty() ? (Py_INCREF(Py_None), Py_None)
                                : PyUnicode_DecodeUTF8(error.data(), static_cast<Py_ssize_t>(error.size()), "replace");
  PyObject* cap = v.cap ? PyLong_FromUnsignedLongLong(*v.cap) : (Py_INCREF(Py_None), Py_None);
  auto goids = [](const std::vector<int64_t>& ids) {
    PyObject* l = PyList_New(0);
    for (int64_t id : ids)
      if (l) {
        PyObject* n = PyLong_FromLongLong(id);
        if (!n || PyList_Append(l, n) != 0) Py_CLEAR(l);
        Py_XDECREF(n);
      }
    return l;
  };
  return Py_BuildValue("(NKNONNN)", err, static_cast<unsigned long long>(v.len.value_or(0)), cap,
                       v.closed ? Py_True : Py_False, goids(v.senders), goids(v.receivers), list);
}

// dynamic_type(type descriptor address) -> None, or (name, kind, size, direct, None or the
// pointer's element (name, kind, size)): an interface's dynamic type as the engine decodes
// it (values/value.cc, runtime_types.cc) for the printers; names as DWARF spells them.
PyObject* sessionDynamicType(PyObject* self, PyObject* args) {
  auto* s = reinterpret_cast<SessionObject*>(self);
  unsigned long long addr = 0;
  if (!PyArg_ParseTuple(args, "K", &addr)) return nullptr;
  if (!s->session) {
    PyErr_SetString(PyExc_RuntimeError, "session not initialised");
    return nullptr;
  }
  std::string name, elem;
  unsigned kind = 0, elemKind = 0;
  unsigned long long size = 0, elemSize = 0;
  bool direct = false, known = false;
  try {
    goinspect::ValueReader& r = s->session->values();
    auto [id, n] = r.dynamicType(addr);
    if (id) {
      const goinspect::GoType& t = r.types().type(id);
      name = t.name;
      kind = static_cast<unsigned>(t.kind);
      size = t.size;
      direct = r.directIface(id);
      if (t.kind == goinspect::GoKind::Pointer && t.elem) {
        const goinspect::GoType& e = r.types().type(t.elem);
        elem = e.name;
        elemKind = static_cast<unsigned>(e.kind);
        elemSize = e.size;
      }
      known = true;
    }
  } catch (...) {
    known = false;
  }
  if (PyErr_Occurred()) clearPyError();
  if (!known) Py_RETURN_NONE;
  PyObject* e = elem.empty() ? (Py_INCREF(Py_None), Py_None) : Py_BuildValue("(sIK)", elem.c_str(), elemKind, elemSize);
  if (!e) return nullptr;
  return Py_BuildValue("(sIKON)", name.c_str(), kind, size, direct ? Py_True : Py_False, e);
}

PyMethodDef sessionMethods[] = {
    {"dynamic_type", sessionDynamicType, METH_VARARGS,
     "dynamic_type(type descriptor address) -> None or (name, kind, size, direct, element)"},
    {"run", sessionRun, METH_VARARGS, "run([command, args...]) -> (ok, output or error)"},
    {"contents", sessionContents, METH_VARARGS,
     "contents(type, word, max) -> (error, len, cap, closed, senders, receivers, [(key, value address), ...])"},
    {nullptr, nullptr, 0, nullptr},
};

PyType_Slot sessionSlots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(sessionDealloc)},
    {Py_tp_init, reinterpret_cast<void*>(sessionInit)},
    {Py_tp_new, reinterpret_cast<void*>(PyType_GenericNew)},
    {Py_tp_methods, sessionMethods},
    {Py_tp_doc, const_cast<char*>("Session(target): one engine session over a Python target object.")},
    {0, nullptr},
};

PyType_Spec sessionSpec = {
    "_goinspect_gdb.Session",
    sizeof(SessionObject),
    0,
    Py_TPFLAGS_DEFAULT,
    sessionSlots,
};

constexpr size_t kHelpWidth = 79;

PyObject* commandTable(PyObject*, PyObject*) {
  try {
    const auto& table = goinspect::commandTable();
    PyObject* list = PyList_New(0);
    if (!list) return nullptr;
    for (const auto& c : table) {
      // GDB prints a command's help as it is: wrap it here, to fit 80 columns.
      std::string help = goinspect::wrapHelp(c.help, kHelpWidth);
      PyObject* t = Py_BuildValue("(ssss)", c.name.c_str(), c.summary.c_str(), c.syntax.c_str(), help.c_str());
      if (!t || PyList_Append(list, t) != 0) {
        Py_XDECREF(t);
        Py_DECREF(list);
        return nullptr;
      }
      Py_DECREF(t);
    }
    return list;
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "internal error in the go engine");
  }
  return nullptr;
}

PyMethodDef moduleMethods[] = {
    {"command_table", commandTable, METH_NOARGS, "[(name, summary, syntax, help), ...] of the go commands"},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef moduleDef = {
    PyModuleDef_HEAD_INIT, "_goinspect_gdb", "The goinspect engine for GDB.", -1, moduleMethods,
    nullptr, nullptr, nullptr, nullptr,
};

}  // namespace

PyMODINIT_FUNC PyInit__goinspect_gdb(void) {
  PyObject* m = PyModule_Create(&moduleDef);
  if (!m) return nullptr;
  PyObject* type = PyType_FromSpec(&sessionSpec);
  if (!type || PyModule_AddObject(m, "Session", type) != 0) {
    Py_XDECREF(type);
    Py_DECREF(m);
    return nullptr;
  }
  return m;
}
