#include "compiler/codegen/kernel_codegen.h"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include <limits>
#include <map>

#include "compiler/codegen/kernel_abi.h"
#include "compiler/jit/jit_engine.h"

namespace pipec {

namespace {

using llvm::IRBuilder;
using llvm::Value;

// An SQL value in SSA form: the payload (i1 BOOLEAN, i64 BIGINT/TIMESTAMP/
// INTERVAL, double, or {ptr, i32} STRING) and whether it is non-NULL (i1).
struct Val {
  Value* v = nullptr;
  Value* valid = nullptr;
};

bool compilable(const BoundExpr& e, std::string* why) {
  switch (e.kind) {
    case BoundKind::FieldAccess:
      *why = "nested field access on a non-source column (" + to_sql(e) + ")";
      return false;
    case BoundKind::Aggregate:
    case BoundKind::WindowStart:
    case BoundKind::WindowEnd:
      *why = "window expressions run in the window operator";
      return false;
    default: break;
  }
  for (const auto& c : e.children)
    if (!compilable(*c, why)) return false;
  return true;
}

class KernelBuilder {
 public:
  KernelBuilder(const KernelSpec& spec, llvm::LLVMContext& ctx, llvm::Module& m)
      : spec_(spec), ctx_(ctx), m_(m), b_(ctx) {
    ptr_ = llvm::PointerType::getUnqual(ctx);
    i1_ = llvm::Type::getInt1Ty(ctx);
    i8_ = llvm::Type::getInt8Ty(ctx);
    i16_ = llvm::Type::getInt16Ty(ctx);
    i32_ = llvm::Type::getInt32Ty(ctx);
    i64_ = llvm::Type::getInt64Ty(ctx);
    f64_ = llvm::Type::getDoubleTy(ctx);
    string_ = llvm::StructType::create(ctx, {ptr_, i32_}, "StringRef");
    column_ = llvm::StructType::create(ctx, {ptr_, ptr_}, "PipecKernelColumn");
    args_ = llvm::StructType::create(ctx, {i32_, i32_, ptr_, ptr_, ptr_, ptr_, ptr_, ptr_, ptr_, i64_}, "PipecKernelArgs");
  }

  void build() {
    auto* fn_type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx_), {ptr_}, false);
    fn_ = llvm::Function::Create(fn_type, llvm::Function::ExternalLinkage, spec_.function_name, m_);
    fn_->addFnAttr(llvm::Attribute::NoUnwind);
    auto* entry = llvm::BasicBlock::Create(ctx_, "entry", fn_);
    auto* loop = llvm::BasicBlock::Create(ctx_, "row.loop", fn_);
    auto* body = llvm::BasicBlock::Create(ctx_, "row.live", fn_);
    latch_ = llvm::BasicBlock::Create(ctx_, "row.next", fn_);
    auto* exit = llvm::BasicBlock::Create(ctx_, "done", fn_);

    b_.SetInsertPoint(entry);
    args_ptr_ = fn_->getArg(0);
    Value* rows = b_.CreateLoad(i32_, field(0), "rows");
    Value* inputs = b_.CreateLoad(ptr_, field(2), "inputs");
    Value* outputs = b_.CreateLoad(ptr_, field(3), "outputs");
    status_ = b_.CreateLoad(ptr_, field(4), "row_status");
    reason_ = b_.CreateLoad(ptr_, field(5), "row_reason");
    violations_ = b_.CreateLoad(ptr_, field(6), "violations");
    Value* checked = b_.CreateLoad(ptr_, field(7), "checked");
    fn_ctx_ = b_.CreateLoad(ptr_, field(8), "ctx");
    // Rows checked per slot are counted in locals (registers after mem2reg),
    // added to checked[] once at the end: no memory update per row.
    for (size_t c = 0; c < spec_.constraints.size(); ++c) {
      checked_.push_back(b_.CreateAlloca(i64_, nullptr, "checked." + spec_.constraints[c].constraint->name));
      b_.CreateStore(b_.getInt64(0), checked_.back());
    }
    for (size_t k = 0; k < spec_.inputs.size(); ++k) in_cols_.push_back(column_pointers(inputs, k, "in"));
    if (spec_.projects)
      for (size_t k = 0; k < spec_.outputs.size(); ++k) out_cols_.push_back(column_pointers(outputs, k, "out"));
    Value* rows64 = b_.CreateZExt(rows, i64_);
    b_.CreateBr(loop);

    // for (i = 0; i < rows; ++i) if (row_status[i] == 0) { ... }
    b_.SetInsertPoint(loop);
    row_ = b_.CreatePHI(i64_, 2, "i");
    row_->addIncoming(b_.getInt64(0), entry);
    b_.CreateCondBr(b_.CreateICmpULT(row_, rows64), body, exit);

    b_.SetInsertPoint(body);
    auto* live = llvm::BasicBlock::Create(ctx_, "row.body", fn_);
    Value* st = b_.CreateLoad(i8_, b_.CreateGEP(i8_, status_, row_));
    b_.CreateCondBr(b_.CreateICmpEQ(st, b_.getInt8(0)), live, latch_);
    b_.SetInsertPoint(live);

    for (size_t k = 0; k < spec_.inputs.size(); ++k) row_values_.push_back(std::nullopt);
    int slot = 0;
    for (const auto* op : spec_.operators) {
      switch (op->type) {
        case LogicalOperatorType::Constraint:
          for (const auto& c : op->as<LogicalConstraint>().constraints) emit_constraint(c, slot++);
          break;
        case LogicalOperatorType::Filter: emit_filter(*op->as<LogicalFilter>().predicate); break;
        case LogicalOperatorType::Project: emit_project(op->as<LogicalProject>()); break;
        default: break;
      }
    }
    b_.CreateBr(latch_);

    b_.SetInsertPoint(latch_);
    Value* next = b_.CreateAdd(row_, b_.getInt64(1), "i.next", true, true);
    row_->addIncoming(next, latch_);
    b_.CreateBr(loop);

    b_.SetInsertPoint(exit);
    for (size_t c = 0; c < checked_.size(); ++c) {
      Value* total = b_.CreateGEP(i64_, checked, b_.getInt64(c));
      b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, total), b_.CreateLoad(i64_, checked_[c])), total);
    }
    b_.CreateRetVoid();
  }

 private:
  struct ColumnPtrs {
    Value* values;
    Value* validity;
  };

  Value* field(unsigned index) { return b_.CreateStructGEP(args_, args_ptr_, index); }

  ColumnPtrs column_pointers(Value* array, size_t k, const char* prefix) {
    Value* col = b_.CreateGEP(column_, array, b_.getInt64(k));
    std::string n = std::string(prefix) + std::to_string(k);
    return {b_.CreateLoad(ptr_, b_.CreateStructGEP(column_, col, 0), n + ".values"),
            b_.CreateLoad(ptr_, b_.CreateStructGEP(column_, col, 1), n + ".validity")};
  }

  llvm::Type* memory_type(const Type& t) {
    switch (t.physical()) {
      case PhysicalType::Bool: return i8_;
      case PhysicalType::Int64: return i64_;
      case PhysicalType::Float64: return f64_;
      case PhysicalType::String: return string_;
    }
    return i64_;
  }
  llvm::Type* ssa_type(const Type& t) { return t.id == TypeId::Boolean ? i1_ : memory_type(t); }

  Value* to_memory(Value* v, const Type& t) { return t.id == TypeId::Boolean ? b_.CreateZExt(v, i8_) : v; }
  Value* from_memory(Value* v, const Type& t) { return t.id == TypeId::Boolean ? b_.CreateICmpNE(v, b_.getInt8(0)) : v; }

  Value* bit(Value* validity) {
    Value* word = b_.CreateLoad(i64_, b_.CreateGEP(i64_, validity, b_.CreateLShr(row_, 6)));
    Value* shifted = b_.CreateLShr(word, b_.CreateAnd(row_, 63));
    return b_.CreateTrunc(shifted, i1_);
  }

  Val load_input(int k) {
    if (!row_values_[k]) {
      const Type& t = *spec_.inputs[k].type;
      Value* slot = b_.CreateGEP(memory_type(t), in_cols_[k].values, row_);
      Val v{from_memory(b_.CreateLoad(memory_type(t), slot), t), bit(in_cols_[k].validity)};
      row_values_[k] = v;
    }
    return *row_values_[k];
  }

  void store_output(size_t k, const Val& v, const Type& t) {
    b_.CreateStore(to_memory(v.v, t), b_.CreateGEP(memory_type(t), out_cols_[k].values, row_));
    Value* wp = b_.CreateGEP(i64_, out_cols_[k].validity, b_.CreateLShr(row_, 6));
    Value* word = b_.CreateLoad(i64_, wp);
    Value* mask = b_.CreateShl(b_.getInt64(1), b_.CreateAnd(row_, 63));
    Value* set = b_.CreateOr(word, mask);
    Value* clear = b_.CreateAnd(word, b_.CreateNot(mask));
    b_.CreateStore(b_.CreateSelect(v.valid, set, clear), wp);
  }

  // Allocas live in the entry block so the optimizer promotes them.
  Value* entry_alloca(llvm::Type* t, unsigned count = 1) {
    IRBuilder<> eb(&fn_->getEntryBlock(), fn_->getEntryBlock().begin());
    return eb.CreateAlloca(t, eb.getInt32(count));
  }

  llvm::FunctionCallee declare(const std::string& name, llvm::Type* ret, std::vector<llvm::Type*> params) {
    return m_.getOrInsertFunction(name, llvm::FunctionType::get(ret, params, false));
  }

  Val null_of(const Type& t) { return {llvm::Constant::getNullValue(ssa_type(t)), b_.getFalse()}; }

  Value* string_constant(const std::string& s) {
    Value* data = b_.CreateGlobalStringPtr(s, "str", 0, &m_);
    Value* v = llvm::UndefValue::get(string_);
    v = b_.CreateInsertValue(v, data, 0);
    return b_.CreateInsertValue(v, b_.getInt32(static_cast<uint32_t>(s.size())), 1);
  }

  // ---------------------------------------------------------------- operators
  void emit_filter(const BoundExpr& predicate) {
    Val p = gen(predicate);
    auto* keep = llvm::BasicBlock::Create(ctx_, "filter.pass", fn_);
    auto* drop = llvm::BasicBlock::Create(ctx_, "filter.drop", fn_);
    b_.CreateCondBr(b_.CreateAnd(p.valid, p.v), keep, drop);
    b_.SetInsertPoint(drop);
    b_.CreateStore(b_.getInt8(1), b_.CreateGEP(i8_, status_, row_));
    b_.CreateStore(b_.getInt16(kFilteredByPredicate), b_.CreateGEP(i16_, reason_, row_));
    b_.CreateBr(latch_);
    b_.SetInsertPoint(keep);
  }

  void emit_constraint(const ConstraintInfo& c, int slot) {
    b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, checked_[slot]), b_.getInt64(1)), checked_[slot]);
    Val r = gen(*c.expr);
    Value* violated = b_.CreateAnd(r.valid, b_.CreateNot(r.v), "violated." + c.name);
    auto* on_violation = llvm::BasicBlock::Create(ctx_, "violation." + c.name, fn_);
    auto* cont = llvm::BasicBlock::Create(ctx_, "checked." + c.name, fn_);
    b_.CreateCondBr(violated, on_violation, cont);
    b_.SetInsertPoint(on_violation);
    Value* cp = b_.CreateGEP(i64_, violations_, b_.getInt64(slot));
    b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, cp), b_.getInt64(1)), cp);
    if (c.action == ViolationAction::Warn) {
      b_.CreateBr(cont);
    } else {
      uint8_t status = c.action == ViolationAction::DropRow ? 1 : 2;
      b_.CreateStore(b_.getInt8(status), b_.CreateGEP(i8_, status_, row_));
      b_.CreateStore(b_.getInt16(static_cast<uint16_t>(slot)), b_.CreateGEP(i16_, reason_, row_));
      if (c.action == ViolationAction::FailPipeline) {
        Value* fp = field(9);
        Value* prev = b_.CreateLoad(i64_, fp);
        b_.CreateStore(b_.CreateSelect(b_.CreateICmpSLT(prev, b_.getInt64(0)), row_, prev), fp);
      }
      b_.CreateBr(latch_);
    }
    b_.SetInsertPoint(cont);
  }

  void emit_project(const LogicalProject& p) {
    std::vector<std::optional<Val>> outputs;
    for (size_t k = 0; k < p.exprs.size(); ++k) {
      Val v = gen(*p.exprs[k]);
      store_output(k, v, *p.exprs[k]->type);
      outputs.push_back(v);
    }
    row_values_ = std::move(outputs);  // later operators read the projected row
    projected_ = true;
  }

  // ---------------------------------------------------------------- expressions
  Val gen(const BoundExpr& e) {
    switch (e.kind) {
      case BoundKind::Constant: return constant(e);
      case BoundKind::Column: {
        if (projected_) return *row_values_[e.column];
        return load_input(e.column);
      }
      case BoundKind::Cast: return cast(gen(*e.children[0]), *e.children[0]->type, *e.type);
      case BoundKind::Negate: {
        Val x = gen(*e.children[0]);
        if (e.type->id == TypeId::Double) return {b_.CreateFNeg(x.v), x.valid};
        Value* ok = b_.CreateICmpNE(x.v, b_.getInt64(std::numeric_limits<int64_t>::min()));
        return {b_.CreateSub(b_.getInt64(0), x.v), b_.CreateAnd(x.valid, ok)};
      }
      case BoundKind::Not: {
        Val x = gen(*e.children[0]);
        return {b_.CreateNot(x.v), x.valid};
      }
      case BoundKind::Arithmetic: return arithmetic(e);
      case BoundKind::Compare: return compare(e);
      case BoundKind::And:
      case BoundKind::Or: {
        bool is_and = e.kind == BoundKind::And;
        Value* decided = b_.getFalse();  // a FALSE (AND) or TRUE (OR) operand
        Value* any_null = b_.getFalse();
        for (const auto& c : e.children) {
          Val x = gen(*c);
          Value* hit = b_.CreateAnd(x.valid, is_and ? b_.CreateNot(x.v) : x.v);
          decided = b_.CreateOr(decided, hit);
          any_null = b_.CreateOr(any_null, b_.CreateNot(x.valid));
        }
        Value* valid = b_.CreateOr(decided, b_.CreateNot(any_null));
        return {is_and ? b_.CreateNot(decided) : decided, valid};
      }
      case BoundKind::IsNull: {
        Val x = gen(*e.children[0]);
        return {e.negated ? x.valid : b_.CreateNot(x.valid), b_.getTrue()};
      }
      case BoundKind::IsTrue: {
        Val x = gen(*e.children[0]);
        Value* value_matches = e.bool_value ? x.v : b_.CreateNot(x.v);
        Value* match = b_.CreateAnd(x.valid, value_matches);
        return {e.negated ? b_.CreateNot(match) : match, b_.getTrue()};
      }
      case BoundKind::Case: {
        // Branch-free: expressions are pure and total, so every branch may be
        // evaluated; the first TRUE condition selects.
        size_t pairs = (e.children.size() - (e.has_else ? 1 : 0)) / 2;
        Val result = e.has_else ? gen(*e.children.back()) : null_of(*e.type);
        std::vector<std::pair<Val, Val>> arms;
        for (size_t i = 0; i < pairs; ++i) arms.push_back({gen(*e.children[2 * i]), gen(*e.children[2 * i + 1])});
        for (size_t i = pairs; i-- > 0;) {
          Value* take = b_.CreateAnd(arms[i].first.valid, arms[i].first.v);
          result = {b_.CreateSelect(take, arms[i].second.v, result.v), b_.CreateSelect(take, arms[i].second.valid, result.valid)};
        }
        return result;
      }
      case BoundKind::Call: return call(e);
      case BoundKind::Secret: {
        Value* out = entry_alloca(string_);
        Value* name = b_.CreateGlobalStringPtr(e.name, "secret", 0, &m_);
        b_.CreateCall(declare("pipec_rt_secret", llvm::Type::getVoidTy(ctx_), {ptr_, ptr_, i32_, ptr_}),
                      {fn_ctx_, name, b_.getInt32(static_cast<uint32_t>(e.name.size())), out});
        return {b_.CreateLoad(string_, out), b_.getTrue()};
      }
      default: return null_of(*e.type);  // excluded by why_not_compilable
    }
  }

  Val constant(const BoundExpr& e) {
    const pipec::Value& v = e.value;
    if (v.is_null) return null_of(*e.type);
    switch (e.type->physical()) {
      case PhysicalType::Bool: return {b_.getInt1(v.b), b_.getTrue()};
      case PhysicalType::Int64: return {b_.getInt64(static_cast<uint64_t>(v.i)), b_.getTrue()};
      case PhysicalType::Float64: return {llvm::ConstantFP::get(f64_, v.d), b_.getTrue()};
      case PhysicalType::String: return {string_constant(v.s), b_.getTrue()};
    }
    return null_of(*e.type);
  }

  Val cast(Val x, const Type& from, const Type& to) {
    TypeId f = from.id, t = to.id;
    if (f == TypeId::Null) return null_of(to);
    bool int_like_f = f == TypeId::BigInt || f == TypeId::Timestamp || f == TypeId::Interval;
    bool int_like_t = t == TypeId::BigInt || t == TypeId::Timestamp || t == TypeId::Interval;
    if (f == t || (int_like_f && int_like_t)) return x;
    if (to.id == TypeId::String && from.is_nested()) return x;  // already JSON text
    if (int_like_f && t == TypeId::Double) return {b_.CreateSIToFP(x.v, f64_), x.valid};
    if (f == TypeId::Boolean && t == TypeId::Double) return {b_.CreateUIToFP(x.v, f64_), x.valid};
    if (f == TypeId::Boolean && int_like_t) return {b_.CreateZExt(x.v, i64_), x.valid};
    if (int_like_f && t == TypeId::Boolean) return {b_.CreateICmpNE(x.v, b_.getInt64(0)), x.valid};
    if (f == TypeId::Double && t == TypeId::Boolean) return {b_.CreateFCmpUNE(x.v, llvm::ConstantFP::get(f64_, 0.0)), x.valid};
    if (f == TypeId::Double && int_like_t) {
      // Round half away from zero; NaN and out-of-range become NULL.
      Value* r = b_.CreateUnaryIntrinsic(llvm::Intrinsic::round, x.v);
      Value* in_range = b_.CreateAnd(b_.CreateFCmpOGE(r, llvm::ConstantFP::get(f64_, -9223372036854775808.0)),
                                     b_.CreateFCmpOLT(r, llvm::ConstantFP::get(f64_, 9223372036854775808.0)));
      Value* safe = b_.CreateSelect(in_range, r, llvm::ConstantFP::get(f64_, 0.0));
      return {b_.CreateFPToSI(safe, i64_), b_.CreateAnd(x.valid, in_range)};
    }
    // Anything involving STRING goes through the reference cast.
    Value* in = entry_alloca(memory_type(from));
    Value* out = entry_alloca(memory_type(to));
    b_.CreateStore(to_memory(x.v, from), in);
    b_.CreateStore(llvm::Constant::getNullValue(memory_type(to)), out);
    Value* ok = b_.CreateCall(declare("pipec_rt_cast", i8_, {ptr_, i32_, i32_, ptr_, ptr_}),
                              {fn_ctx_, b_.getInt32(static_cast<uint32_t>(f)), b_.getInt32(static_cast<uint32_t>(t)), in, out});
    // A NULL input's slot holds a zero value; the result stays NULL.
    return {from_memory(b_.CreateLoad(memory_type(to), out), to), b_.CreateAnd(x.valid, b_.CreateICmpNE(ok, b_.getInt8(0)))};
  }

  Val arithmetic(const BoundExpr& e) {
    Val a = gen(*e.children[0]);
    Val b = gen(*e.children[1]);
    Value* valid = b_.CreateAnd(a.valid, b.valid);
    using ast::Op;
    if (e.op == Op::Concat) {
      Value* pa = entry_alloca(string_);
      Value* pb = entry_alloca(string_);
      Value* out = entry_alloca(string_);
      b_.CreateStore(a.v, pa);
      b_.CreateStore(b.v, pb);
      b_.CreateCall(declare("pipec_rt_concat", llvm::Type::getVoidTy(ctx_), {ptr_, ptr_, ptr_, ptr_}), {fn_ctx_, pa, pb, out});
      return {b_.CreateLoad(string_, out), valid};
    }
    if (e.type->id == TypeId::Double) {
      switch (e.op) {
        case Op::Add: return {b_.CreateFAdd(a.v, b.v), valid};
        case Op::Sub: return {b_.CreateFSub(a.v, b.v), valid};
        case Op::Mul: return {b_.CreateFMul(a.v, b.v), valid};
        case Op::Div: return {b_.CreateFDiv(a.v, b.v), valid};  // IEEE, as DuckDB
        case Op::Mod: {
          Value* nonzero = b_.CreateFCmpUNE(b.v, llvm::ConstantFP::get(f64_, 0.0));
          return {b_.CreateFRem(a.v, b.v), b_.CreateAnd(valid, nonzero)};
        }
        default: return null_of(*e.type);
      }
    }
    // 64-bit integer arithmetic (BIGINT, TIMESTAMP, INTERVAL): overflow -> NULL.
    auto with_overflow = [&](llvm::Intrinsic::ID id) -> Val {
      Value* pair = b_.CreateBinaryIntrinsic(id, a.v, b.v);
      Value* overflow = b_.CreateExtractValue(pair, 1);
      return {b_.CreateExtractValue(pair, 0), b_.CreateAnd(valid, b_.CreateNot(overflow))};
    };
    switch (e.op) {
      case Op::Add: return with_overflow(llvm::Intrinsic::sadd_with_overflow);
      case Op::Sub: return with_overflow(llvm::Intrinsic::ssub_with_overflow);
      case Op::Mul: return with_overflow(llvm::Intrinsic::smul_with_overflow);
      case Op::Div: {
        Value* zero = b_.CreateICmpEQ(b.v, b_.getInt64(0));
        Value* overflow = b_.CreateAnd(b_.CreateICmpEQ(a.v, b_.getInt64(std::numeric_limits<int64_t>::min())),
                                       b_.CreateICmpEQ(b.v, b_.getInt64(-1)));
        Value* bad = b_.CreateOr(zero, overflow);
        Value* divisor = b_.CreateSelect(bad, b_.getInt64(1), b.v);  // never divide by 0
        return {b_.CreateSDiv(a.v, divisor), b_.CreateAnd(valid, b_.CreateNot(bad))};
      }
      case Op::Mod: {
        Value* zero = b_.CreateICmpEQ(b.v, b_.getInt64(0));
        Value* minus_one = b_.CreateICmpEQ(b.v, b_.getInt64(-1));
        Value* divisor = b_.CreateSelect(b_.CreateOr(zero, minus_one), b_.getInt64(1), b.v);  // x % -1 == 0
        return {b_.CreateSRem(a.v, divisor), b_.CreateAnd(valid, b_.CreateNot(zero))};
      }
      default: return null_of(*e.type);
    }
  }

  Val compare(const BoundExpr& e) {
    const Type& t = *e.children[0]->type;
    Val a = gen(*e.children[0]);
    Val b = gen(*e.children[1]);
    Value* valid = b_.CreateAnd(a.valid, b.valid);
    Value* c = nullptr;  // three-way result as i32 for non-integer types
    using ast::Op;
    switch (t.physical()) {
      case PhysicalType::Int64: {
        llvm::CmpInst::Predicate p = e.op == Op::Eq ? llvm::CmpInst::ICMP_EQ
                                     : e.op == Op::Ne ? llvm::CmpInst::ICMP_NE
                                     : e.op == Op::Lt ? llvm::CmpInst::ICMP_SLT
                                     : e.op == Op::Le ? llvm::CmpInst::ICMP_SLE
                                     : e.op == Op::Gt ? llvm::CmpInst::ICMP_SGT
                                                      : llvm::CmpInst::ICMP_SGE;
        return {b_.CreateICmp(p, a.v, b.v), valid};
      }
      case PhysicalType::Bool: {
        Value* x = b_.CreateZExt(a.v, i32_);
        Value* y = b_.CreateZExt(b.v, i32_);
        c = b_.CreateSub(x, y);
        break;
      }
      case PhysicalType::Float64: {
        // NaN equals NaN and sorts after every number (DuckDB semantics).
        Value* an = b_.CreateFCmpUNO(a.v, a.v);
        Value* bn = b_.CreateFCmpUNO(b.v, b.v);
        Value* gt = b_.CreateZExt(b_.CreateFCmpOGT(a.v, b.v), i32_);
        Value* lt = b_.CreateZExt(b_.CreateFCmpOLT(a.v, b.v), i32_);
        Value* ordered = b_.CreateSub(gt, lt);
        Value* nan_case = b_.CreateSelect(b_.CreateAnd(an, bn), b_.getInt32(0),
                                          b_.CreateSelect(an, b_.getInt32(1), b_.getInt32(-1)));
        c = b_.CreateSelect(b_.CreateOr(an, bn), nan_case, ordered);
        break;
      }
      case PhysicalType::String: {
        if (e.op == Op::Eq || e.op == Op::Ne) {
          Value* equal = strings_equal(a.v, b.v);
          return {e.op == Op::Eq ? equal : b_.CreateNot(equal), valid};
        }
        Value* pa = entry_alloca(string_);
        Value* pb = entry_alloca(string_);
        b_.CreateStore(a.v, pa);
        b_.CreateStore(b.v, pb);
        c = b_.CreateCall(declare("pipec_rt_string_compare", i32_, {ptr_, ptr_}), {pa, pb});
        break;
      }
    }
    Value* zero = b_.getInt32(0);
    Value* r = e.op == Op::Eq ? b_.CreateICmpEQ(c, zero)
               : e.op == Op::Ne ? b_.CreateICmpNE(c, zero)
               : e.op == Op::Lt ? b_.CreateICmpSLT(c, zero)
               : e.op == Op::Le ? b_.CreateICmpSLE(c, zero)
               : e.op == Op::Gt ? b_.CreateICmpSGT(c, zero)
                                : b_.CreateICmpSGE(c, zero);
    return {r, valid};
  }

  // Byte equality of two strings: lengths first, then the bytes, instead of
  // calling pipec_rt_string_compare for an ordering. Against a constant of at
  // most 16 bytes (`status <> 'cancelled'`, IN lists) the bytes are one
  // integer load of exactly that width per side (the constant's folds away);
  // otherwise memcmp. (LLVM's own memcmp expansion is a codegen pass, off at
  // the JIT's CodeGenOpt::None.)
  Value* strings_equal(Value* a, Value* b) {
    Value* len_a = b_.CreateExtractValue(a, 1);
    Value* len_b = b_.CreateExtractValue(b, 1);
    auto* from = b_.GetInsertBlock();
    auto* bytes = llvm::BasicBlock::Create(ctx_, "streq.bytes", fn_);
    auto* done = llvm::BasicBlock::Create(ctx_, "streq.done", fn_);
    b_.CreateCondBr(b_.CreateICmpEQ(len_a, len_b), bytes, done);
    b_.SetInsertPoint(bytes);
    Value* n = b_.CreateZExt(llvm::isa<llvm::Constant>(len_a) ? len_a : len_b, i64_);
    Value* ptr_a = b_.CreateExtractValue(a, 0);
    Value* ptr_b = b_.CreateExtractValue(b, 0);
    Value* same_bytes;
    auto* constant_n = llvm::dyn_cast<llvm::ConstantInt>(n);
    if (constant_n && constant_n->getZExtValue() <= 16) {
      const unsigned width = static_cast<unsigned>(constant_n->getZExtValue()) * 8;
      if (width == 0) {
        same_bytes = b_.getTrue();
      } else {
        llvm::Type* word = b_.getIntNTy(width);
        same_bytes = b_.CreateICmpEQ(b_.CreateAlignedLoad(word, ptr_a, llvm::MaybeAlign(1)),
                                     b_.CreateAlignedLoad(word, ptr_b, llvm::MaybeAlign(1)));
      }
    } else {
      auto memcmp = declare("memcmp", i32_, {ptr_, ptr_, i64_});
      same_bytes = b_.CreateICmpEQ(b_.CreateCall(memcmp, {ptr_a, ptr_b, n}), b_.getInt32(0));
    }
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    llvm::PHINode* equal = b_.CreatePHI(i1_, 2, "streq");
    equal->addIncoming(b_.getFalse(), from);
    equal->addIncoming(same_bytes, bytes);
    return equal;
  }

  Val call(const BoundExpr& e) {
    const FunctionOverload& o = *e.overload;
    const unsigned n = static_cast<unsigned>(e.children.size());
    Value* arg_ptrs = entry_alloca(ptr_, std::max(1u, n));
    Value* valid_bytes = entry_alloca(i8_, std::max(1u, n));
    for (unsigned i = 0; i < n; ++i) {
      const Type& t = *e.children[i]->type;
      Val x = gen(*e.children[i]);
      Value* slot = entry_alloca(memory_type(t));
      b_.CreateStore(to_memory(x.v, t), slot);
      b_.CreateStore(slot, b_.CreateGEP(ptr_, arg_ptrs, b_.getInt32(i)));
      b_.CreateStore(b_.CreateZExt(x.valid, i8_), b_.CreateGEP(i8_, valid_bytes, b_.getInt32(i)));
    }
    Value* out = entry_alloca(memory_type(*e.type));
    b_.CreateStore(llvm::Constant::getNullValue(memory_type(*e.type)), out);
    auto callee = declare(o.symbol, i8_, {ptr_, ptr_, ptr_, ptr_, i32_});
    Value* ok = b_.CreateCall(callee, {fn_ctx_, out, arg_ptrs, valid_bytes, b_.getInt32(n)});
    return {from_memory(b_.CreateLoad(memory_type(*e.type), out), *e.type), b_.CreateICmpNE(ok, b_.getInt8(0))};
  }

  const KernelSpec& spec_;
  llvm::LLVMContext& ctx_;
  llvm::Module& m_;
  IRBuilder<> b_;
  llvm::Type *ptr_, *i1_, *i8_, *i16_, *i32_, *i64_, *f64_;
  llvm::StructType *string_, *column_, *args_;
  llvm::Function* fn_ = nullptr;
  llvm::BasicBlock* latch_ = nullptr;
  llvm::PHINode* row_ = nullptr;
  Value *args_ptr_ = nullptr, *status_ = nullptr, *reason_ = nullptr, *violations_ = nullptr, *fn_ctx_ = nullptr;
  std::vector<llvm::AllocaInst*> checked_;  // per constraint slot, this call's rows
  std::vector<ColumnPtrs> in_cols_, out_cols_;
  std::vector<std::optional<Val>> row_values_;
  bool projected_ = false;
};

std::unique_ptr<llvm::Module> build_module(const KernelSpec& spec, llvm::LLVMContext& ctx, std::string* error) {
  auto m = std::make_unique<llvm::Module>("pipec_" + spec.function_name, ctx);
  KernelBuilder(spec, ctx, *m).build();
  std::string msg;
  llvm::raw_string_ostream os(msg);
  if (llvm::verifyModule(*m, &os)) {
    *error = "generated IR failed verification: " + os.str();
    return nullptr;
  }
  return m;
}

}  // namespace

std::string why_not_compilable(const KernelSpec& spec) {
  std::string why;
  for (const auto* op : spec.operators) {
    bool ok = true;
    switch (op->type) {
      case LogicalOperatorType::Filter: ok = compilable(*op->as<LogicalFilter>().predicate, &why); break;
      case LogicalOperatorType::Project:
        for (const auto& e : op->as<LogicalProject>().exprs) ok = ok && compilable(*e, &why);
        break;
      case LogicalOperatorType::Constraint:
        for (const auto& c : op->as<LogicalConstraint>().constraints) ok = ok && compilable(*c.expr, &why);
        break;
      default: break;
    }
    if (!ok) return why;
  }
  return {};
}

llvm::Expected<llvm::orc::ThreadSafeModule> generate_kernel_module(const KernelSpec& spec) {
  auto ctx = std::make_unique<llvm::LLVMContext>();
  std::string error;
  auto m = build_module(spec, *ctx, &error);
  if (!m) return llvm::make_error<llvm::StringError>(error, llvm::inconvertibleErrorCode());
  return llvm::orc::ThreadSafeModule(std::move(m), std::move(ctx));
}

std::string kernel_ir(const KernelSpec& spec, bool optimized) {
  llvm::LLVMContext ctx;
  std::string error;
  auto m = build_module(spec, ctx, &error);
  if (!m) return "; " + error + "\n";
  if (optimized) {
    if (auto err = jit::optimize_module(*m, 2)) return "; " + jit::jit_error_message(std::move(err)) + "\n";
  }
  std::string out;
  llvm::raw_string_ostream os(out);
  m->print(os, nullptr);
  return os.str();
}

}  // namespace pipec
