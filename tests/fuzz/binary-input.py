#!/usr/bin/env python3
"""The binary harness's inputs (binary_input.h), for people: what an input does, and the
seed corpus.

  binary-input.py describe FILE...      each input's seed, flags and patches, in words
  binary-input.py seed-corpus DIR       writes the seed corpus (tests/fuzz/corpus/binary)

Keep the structure and operation lists in the order of binary_input.h's enums.
"""
import os, struct, sys

SN = ['WholeFile','ElfHeader','ProgramHeaders','SectionHeaders','Shstrtab','Pclntab','PcHeader','Funcnametab','Cutab','Filetab','Pctab','Functab','FuncRecord','PcTable','InlineTree','Funcdata','RuntimeCode','BuildInfo','Moduledata','Noptrdata','Data','Rodata','GoFunc','Text','DebugInfo','DebugAbbrev','DebugStr','DebugLine','DebugRanges','DebugLoc','DebugAddr','DebugFrame','Symtab','Strtab','Dynsym']
ON = ['SetByte','Xor','Interesting32','Interesting64','Raw32','Raw64','Add32','Add64','OffsetOf32','AddressOf64','Copy','Fill','Truncate']
class R:
    def __init__(s, b): s.b=b; s.i=0
    def u8(s):
        if s.i < len(s.b): s.i+=1; return s.b[s.i-1]
        return 0
    def u16(s): return s.u8() | s.u8()<<8
    def u32(s): return s.u16() | s.u16()<<16
    def u64(s): return s.u32() | s.u32()<<32
    def varint(s):
        v=0
        for sh in range(0,70,7):
            b=s.u8()
            if sh<64: v|=(b&0x7f)<<sh
            if not b&0x80: break
        return v & (2**64-1)
def read_place(r):
    st=r.u8()%35; d=SN[st]
    if 12<=st<=16: d+='[func %#x]'%r.u16()
    if st in (13,15): d+='[table %d]'%r.u8()
    return d+'+%#x'%r.varint()
rel=['go1.21','go1.24','go1.26','go1.27']; modes=['plain','noopt','stripped','pie']
S = dict(WholeFile=0, ElfHeader=1, ProgramHeaders=2, SectionHeaders=3, Shstrtab=4, Pclntab=5, PcHeader=6,
         Funcnametab=7, Cutab=8, Filetab=9, Pctab=10, Functab=11, FuncRecord=12, PcTable=13, InlineTree=14,
         Funcdata=15, RuntimeCode=16, BuildInfo=17, Moduledata=18, Noptrdata=19, Data=20, Rodata=21, GoFunc=22,
         Text=23, DebugInfo=24, DebugAbbrev=25, DebugStr=26, DebugLine=27, DebugRanges=28, DebugLoc=29,
         DebugAddr=30, DebugFrame=31, Symtab=32, Strtab=33, Dynsym=34)
O = dict(SetByte=0, Xor=1, Int32=2, Int64=3, Raw32=4, Raw64=5, Add32=6, Add64=7, OffsetOf32=8, AddressOf64=9,
         Copy=10, Fill=11, Truncate=12)
FN = (12, 16)
def varint(v):
    out = b''
    while True:
        b = v & 0x7f; v >>= 7
        if v: out += bytes([b | 0x80])
        else: return out + bytes([b])
def place(s, off, func=0, table=0):
    b = bytes([S[s]])
    if FN[0] <= S[s] <= FN[1]: b += struct.pack('<H', func)
    if s in ('PcTable', 'Funcdata'): b += bytes([table])
    return b + varint(off)
def patch(s, off, op, *args, func=0, table=0):
    b = place(s, off, func, table) + bytes([O[op]])
    if op in ('SetByte', 'Xor', 'Int32', 'Int64', 'Add32', 'Add64'): b += bytes([args[0] & 0xff])
    elif op == 'Raw32': b += struct.pack('<I', args[0])
    elif op == 'Raw64': b += struct.pack('<Q', args[0])
    elif op == 'OffsetOf32': b += args[0] + bytes([S[args[1]]])
    elif op == 'AddressOf64': b += args[0]
    elif op == 'Copy': b += args[0] + bytes([(args[1] - 1) % 64])
    elif op == 'Fill': b += varint(args[0] - 1) + bytes([args[1]])
    return b
def inp(seed, flags, patches, pcs=()):
    return bytes([seed, flags, len(patches)]) + b''.join(patches) + b''.join(struct.pack('<I', p) for p in pcs)
rel = ['go1.21', 'go1.24', 'go1.26', 'go1.27']; modes = ['plain', 'noopt', 'stripped', 'pie']
def describe(files):
    for f in files:
        r=R(open(f,'rb').read()); s=r.u8()%16; fl=r.u8(); n=r.u8()%17
        print(f, '%s/%s flags=%#x'%(rel[s//4],modes[s%4],fl))
        for k in range(n):
            at=read_place(r); op=r.u8()%13; x=''
            if op in (0,1,2,3,6,7): x='%#x'%r.u8()
            elif op==4: x='%#x'%r.u32()
            elif op==5: x='%#x'%r.u64()
            elif op==8: x=read_place(r)+' - '+SN[r.u8()%35]
            elif op==9: x=read_place(r)
            elif op==10: x=read_place(r)+' len %d'%(r.u8()%64+1)
            elif op==11: x='len %d byte %#x'%(r.varint()%4096+1, r.u8())
            print('   ', at, ON[op], x)

def seed_corpus(out):
    os.makedirs(out, exist_ok=True)
    inputs = {
     # go1.21
     0: (0x0e, [patch('PcHeader', 8, 'Add64', 1), patch('PcTable', 3, 'Xor', 0x40, func=0x8000, table=0)], [0x1234, 0x40000]),
     1: (0x30, [patch('DebugInfo', 0x40, 'Xor', 0x01), patch('FuncRecord', 16, 'Int32', 5, func=0x8005)], [0x100]),
     2: (0x40, [patch('RuntimeCode', 0x20, 'SetByte', 0x05, func=0x8000), patch('Moduledata', 0, 'Add64', 8)], []),
     3: (0x00, [patch('BuildInfo', 0x20, 'SetByte', 0x7f), patch('InlineTree', 8, 'Raw32', 0xffffff00, func=3)], [0x5000]),
     # go1.24
     4: (0x80, [patch('Functab', 12, 'Add32', -1), patch('Cutab', 4, 'Int32', 31)], [0x2000]),
     5: (0x3f, [patch('DebugAbbrev', 10, 'SetByte', 0x13), patch('PcTable', 1, 'Raw32', 0x7f7f7f7f, func=0x8010, table=2)], []),
     6: (0x00, [patch('GoFunc', 0, 'Fill', 16, 0xff), patch('Noptrdata', 0x80, 'Int64', 40)], [0x10, 0x2000, 0x30000]),
     7: (0x40, [patch('ProgramHeaders', 0x20, 'Int64', 44), patch('Dynsym', 0x18, 'Xor', 0x80)], []),
     # go1.26
     8: (0x0f, [patch('DebugLine', 0x30, 'Add32', 100), patch('Symtab', 0x30, 'Xor', 0x10)], [0x800]),
     9: (0x0e, [patch('FuncRecord', 28, 'Int32', 29, func=0x8016), patch('Filetab', 0, 'Fill', 8, 0)], [0x777]),
     10: (0x80, [patch('Moduledata', 8, 'OffsetOf32', place('Pclntab', 0x100), 'WholeFile'), patch('RuntimeCode', 3, 'Copy', place('Text', 0x40), 16, func=0x8003)], []),
     11: (0x00, [patch('Pctab', 0x200, 'Truncate')], []),
     # go1.27
     12: (0x30, [patch('SectionHeaders', 5 * 64 + 24, 'Add64', 0x10), patch('Funcnametab', 5, 'SetByte', 0)], [0x4000]),
     13: (0x30, [patch('DebugRanges', 0x10, 'Int64', 33), patch('Funcdata', 0, 'Xor', 0x55, func=0x800b, table=4)], []),
     14: (0x40, [patch('Data', 0x100, 'AddressOf64', place('Rodata', 0x10)), patch('PcHeader', 40, 'Int32', 26)], [0x9999]),
     15: (0x0e, [patch('ElfHeader', 0x3c, 'SetByte', 0x40), patch('Strtab', 0x10, 'Fill', 32, 0x41)], []),
    }
    for seed, (flags, patches, pcs) in inputs.items():
        name = f"{rel[seed // 4]}-{modes[seed % 4]}"
        open(os.path.join(out, name), 'wb').write(inp(seed, flags, patches, pcs))

if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "describe":
        describe(sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "seed-corpus":
        seed_corpus(sys.argv[2])
    else:
        sys.exit(__doc__)
